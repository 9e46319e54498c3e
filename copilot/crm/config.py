"""Configuration of CRM delivery (``COPILOT_CRM__*``).

``COPILOT_CRM__WEBHOOK_URL=https://crm.example.com/hooks/copilot`` and
``COPILOT_CRM__SECRETS='["whsec_…"]'`` turn delivery on. During a key rotation list the new
secret and the old one; every webhook then carries both signatures.
"""

from __future__ import annotations

from typing import Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from copilot.crm.signing import secret_key


class CrmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # None: delivery is off; confirmations stay ``pending`` and say why, and go out once a
    # URL is configured (nothing is dropped for want of a CRM).
    webhook_url: str | None = None
    secrets: list[SecretStr] = Field(default_factory=list)
    # Connect and read timeout of one request. A CRM that takes longer is treated as down and
    # retried: the receiver dedupes on webhook-id if it did process the slow request.
    timeout_s: float = Field(default=10.0, gt=0.0, le=60.0)
    max_attempts: int = Field(default=8, ge=1, le=50)
    # Back-off before attempt n+1 is base · 2^(n-1), capped at backoff_max_s, ± jitter. With
    # these defaults the 8 attempts span about two hours (60 s, 2, 4, 8, 16, 32 min, 1 h), so
    # a CRM that is down for an hour loses nothing; a base of a few seconds would give up
    # after four minutes.
    backoff_base_s: float = Field(default=60.0, gt=0.0)
    backoff_max_s: float = Field(default=3600.0, gt=0.0)
    # Spreads the retries of many messages that failed together (a CRM outage) so they do not
    # all hit the recovering CRM in the same second.
    jitter: float = Field(default=0.1, ge=0.0, lt=1.0)
    # How often the worker looks for due rows when nothing woke it up.
    poll_interval_s: float = Field(default=5.0, gt=0.0, le=300.0)
    batch_size: int = Field(default=20, ge=1, le=500)

    @field_validator("webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = value.strip()
        # urllib rather than httpx: the settings must load without the HTTP client installed.
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise ValueError(f"not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the CRM webhook URL must be http(s)://host/…")
        return url

    @field_validator("secrets")
    @classmethod
    def _usable_secrets(cls, value: list[SecretStr]) -> list[SecretStr]:
        for secret in value:
            secret_key(secret.get_secret_value())  # raises ValueError with what to fix
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.webhook_url and not self.secrets:
            raise ValueError(
                "COPILOT_CRM__WEBHOOK_URL is set but COPILOT_CRM__SECRETS is empty: unsigned "
                "webhooks cannot be trusted by the CRM; set at least one secret"
            )
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be at least backoff_base_s")
        return self

    @property
    def enabled(self) -> bool:
        return self.webhook_url is not None

    def secret_values(self) -> list[str]:
        return [s.get_secret_value() for s in self.secrets]

    def nominal_delay_s(self, failures: int) -> float:
        """The back-off after ``failures`` failed attempts (≥ 1), before jitter."""
        exponent = min(max(failures - 1, 0), 32)  # 2**32 · base is past any sane cap
        return float(min(self.backoff_max_s, self.backoff_base_s * 2**exponent))

    @property
    def claim_lease_s(self) -> float:
        """How long a claimed batch is hidden from other workers while it is being sent.

        Rows are sent one after another, each bounded by connect + read timeouts; the margin
        covers the database work. A worker that dies mid-batch only delays its rows by this
        much; they are then re-sent with the same webhook-id.
        """
        return self.batch_size * 2 * self.timeout_s + 60.0
