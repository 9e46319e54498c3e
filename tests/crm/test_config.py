from __future__ import annotations

import pytest
from pydantic import ValidationError

from copilot.crm.config import CrmConfig
from copilot.settings import Settings


def test_delivery_is_off_by_default_and_on_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().crm.enabled is False
    monkeypatch.setenv("COPILOT_CRM__WEBHOOK_URL", "https://crm.example.cn/hooks/copilot")
    monkeypatch.setenv("COPILOT_CRM__SECRETS", '["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]')
    monkeypatch.setenv("COPILOT_CRM__MAX_ATTEMPTS", "12")
    crm = Settings().crm
    assert crm.enabled and crm.max_attempts == 12
    assert "MfKQ" not in repr(crm)  # secrets never show up in logs or tracebacks


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"webhook_url": "https://crm.example.cn/h"}, "SECRETS is empty"),
        ({"webhook_url": "ftp://crm.example.cn/h", "secrets": ["s"]}, "http"),
        ({"webhook_url": "crm.example.cn/h", "secrets": ["s"]}, "http"),
        ({"secrets": ["whsec_***"]}, "not valid base64"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"backoff_base_s": 100, "backoff_max_s": 10}, "backoff_max_s"),
        ({"retries": 3}, "retries"),  # a typo fails at start-up
    ],
)
def test_bad_options_fail_at_start_up(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CrmConfig(**options)  # type: ignore[arg-type]  # deliberately wrong values


def test_default_schedule_outlasts_an_hour_long_crm_outage() -> None:
    config = CrmConfig()
    gaps = [config.nominal_delay_s(n) for n in range(1, config.max_attempts)]
    assert gaps == [60, 120, 240, 480, 960, 1920, 3600]
    # Even with every jitter draw at its lowest, the last attempt comes after > 1 h.
    assert sum(gaps) * (1 - config.jitter) > 3600 * 1.5
