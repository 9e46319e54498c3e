"""Rate limits per caller and action: 429 with Retry-After, on the real server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.service.ratelimit import RateLimit, RateLimiter, RateLimits
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from speech.engine import SpeechEngine
from tests.service.conftest import Service, service_settings

TIGHT = RateLimit(per_minute=6, burst=2)  # two at once, then one every 10 s
LIMITS = RateLimits(
    scan=TIGHT,
    scan_batch=TIGHT,
    upload=TIGHT,
    suggest=TIGHT,
    socket_token=TIGHT,
    login_ip=RateLimit(per_minute=6, burst=4),
    login_account=TIGHT,
)


@pytest.fixture
def limited(db_url: str, engines: Engines, speech_engine: SpeechEngine) -> Iterator[Service]:
    settings = service_settings(db_url, rate_limits=LIMITS)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def _manager_key(service: Service) -> str:
    engine = make_engine(service.settings.database.url)
    with session_factory(engine).begin() as session:
        key = repo.ensure_demo_tenant(session).manager_key
    engine.dispose()
    return key


REQUESTS = {
    "scan": ("/v1/compliance/scan", {"text": "方案明天发您"}, 200),
    "scan_batch": ("/v1/compliance/scan/batch", {"messages": [{"text": "方案明天发您"}]}, 200),
    "suggest": ("/v1/suggest", {"text": "太贵了"}, 200),
    "upload": ("/v1/calls", {"turns": [["customer", "你好"]]}, 202),
    "socket_token": ("/v1/auth/socket-token", {"call_id": "rate-limited-call"}, 200),
}


@pytest.mark.parametrize("name", list(REQUESTS))
def test_past_the_burst_a_key_gets_429_with_retry_after_and_others_do_not(
    limited: Service, name: str
) -> None:
    path, body, ok = REQUESTS[name]
    headers = {"Authorization": f"Bearer {limited.rep_key}"}
    with httpx.Client(base_url=limited.url, headers=headers, timeout=30) as http:
        assert [http.post(path, json=body).status_code for _ in range(2)] == [ok, ok]
        refused = http.post(path, json=body)
        assert refused.status_code == 429, refused.text
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 10
    # Buckets are per caller: the manager of the same org is not slowed by the rep.
    other = {"Authorization": f"Bearer {_manager_key(limited)}"}
    assert httpx.post(limited.url + path, json=body, headers=other, timeout=30).status_code == ok


def _login(browser: httpx.Client, key: str) -> httpx.Response:
    form = browser.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    return browser.post("/dashboard/login", data={"api_key": key, "csrf_token": token.group(1)})


def test_dashboard_sign_in_is_throttled_per_account_and_per_ip(limited: Service) -> None:
    manager = _manager_key(limited)
    wrong = manager[:-2] + ("xx" if not manager.endswith("xx") else "yy")
    with httpx.Client(base_url=limited.url) as browser:
        # Guessing one account's secret: two tries, then 429 even with the right secret.
        assert [_login(browser, wrong).status_code for _ in range(2)] == [401, 401]
        throttled = _login(browser, manager)
        assert throttled.status_code == 429 and "过于频繁" in throttled.text
        assert int(throttled.headers["Retry-After"]) >= 1
        # Another account from the same address still gets its turn, until the address's
        # own budget (4 attempts) is spent.
        assert _login(browser, "cpk_nosuchkey_secret").status_code == 401
        assert _login(browser, "cpk_another1_secret").status_code == 429


def test_the_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(LIMITS, clock=lambda: now[0])
    assert limiter.take("scan", "u1") is None
    assert limiter.take("scan", "u1") is None
    assert limiter.take("scan", "u1") == 10.0
    now[0] = 9.0
    assert limiter.take("scan", "u1") == 1.0
    now[0] = 10.0
    assert limiter.take("scan", "u1") is None
    assert limiter.take("scan", "u2") is None  # another caller, its own bucket


def test_defaults_leave_room_for_a_person() -> None:
    defaults = RateLimits()
    # A rep scanning a draft at every pause (~1/s) for a minute stays inside the limit.
    assert defaults.scan.per_minute >= 60 and defaults.scan.burst >= 30
    assert defaults.socket_token.burst >= 10
