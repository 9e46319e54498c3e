"""The service's logs: JSON lines with the ids, never a secret, never what was said."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re

import httpx
import pytest

from copilot.client import replay_call
from copilot.commands.service import running_service
from copilot.service.logs import JsonFormatter, RedactRecord, bind_log_context, redact
from copilot.service.pipeline import Engines
from copilot.store.keys import parse_key
from copilot.store.tenants import DEMO_ORG_ID
from speech.audio import decode_file
from speech.engine import SpeechEngine
from tests.service.conftest import DEVSET_AUDIO, service_settings

SCANNED = "这款产品保证收益，绝对没有任何风险"
WEBHOOK_SECRET = "whsec_c2VjcmV0LWZvci10aGUtbG9nLXRlc3Q="
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_a_call_and_a_scan_leave_json_lines_without_text_or_secrets(
    db_url: str,
    engines: Engines,
    speech_engine: SpeechEngine,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = service_settings(db_url, log_format="json")
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    with running_service(
        settings, engines=engines, speech_engine=speech_engine, log_level="info"
    ) as (url, key):
        auth = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=url, headers=auth, timeout=30) as http:
            scanned = http.post(
                "/v1/compliance/scan",
                json={"text": SCANNED},
                headers={"X-Request-ID": "req-scan-1"},
            )
            assert scanned.json()["flags"]
            # A key in a URL (a careless client) reaches the access log: redacted.
            http.get("/healthz", params={"api_key": key, "secret": WEBHOOK_SECRET})
        result = asyncio.run(replay_call(url, key, audio, call_id="logs-call", speed=8.0))
        logging.getLogger("copilot.test").warning(
            "connecting to postgresql://copilot:hunter2@db/copilot with %s", f"Bearer {key}"
        )
    out, err = capfd.readouterr()
    lines = [line for line in (out + err).splitlines() if line.strip()]

    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    said = [e["segment"]["text"] for e in result.events if e["type"] == "transcript.final"]
    assert said
    text = "\n".join(lines)
    for sentence in [*said, SCANNED]:
        assert sentence not in text
    assert not CHINESE.search(text)
    # The key's secret is everything after cpk_<id>_: it may hold "_" itself, so splitting
    # at the last "_" once gave a one-letter "secret" that any log line contains.
    parsed = parse_key(key)
    assert parsed is not None
    secret_part = parsed.secret
    for secret in (secret_part, WEBHOOK_SECRET, "hunter2"):
        assert secret not in text
    # The sockets' URLs were logged, without their tokens.
    messages = "\n".join(r["message"] for r in records)
    tokens = re.findall(r"token=([^&\s\"]+)", messages)
    assert tokens and set(tokens) == {"[REDACTED]"}

    scan_lines = [r for r in records if r.get("request_id") == "req-scan-1"]
    assert any("/v1/compliance/scan" in r["message"] for r in scan_lines)
    # The caller's org, known once its key was read in a worker thread, is on the
    # request's own access line.
    assert {r.get("org_id") for r in scan_lines} == {DEMO_ORG_ID}
    call_lines = [r for r in records if r.get("call_id") == "logs-call"]
    assert any("/audio" in r["message"] for r in call_lines)
    assert any(r.get("org_id") == DEMO_ORG_ID for r in call_lines)
    assert any("postgresql://copilot:[REDACTED]@db" in r["message"] for r in records)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED]"),
        ("sent Bearer abcdefghijklmnop", "sent Bearer [REDACTED]"),
        ("key cpk_0123456789abcdef_S3cr3t-xyz", "key cpk_0123456789abcdef_[REDACTED]"),
        ("secret whsec_QUJD+/=", "secret whsec_[REDACTED]"),
        ("postgresql+psycopg://u:p%40ss@h:5432/d", "postgresql+psycopg://u:[REDACTED]@h:5432/d"),
        ("GET /x?token=abc&n=1", "GET /x?token=[REDACTED]&n=1"),
        ("failed on 我给您打个五折 today", "failed on [text] today"),
        ("budget 预算 50 万 ok", "budget [text] ok"),
        ("segment dc02-3 of call c-1", "segment dc02-3 of call c-1"),
    ],
)
def test_redact(raw: str, clean: str) -> None:
    assert redact(raw) == clean


def test_a_traceback_and_its_exception_are_redacted_and_the_context_is_kept() -> None:
    record = logging.LogRecord("copilot.x", logging.ERROR, __file__, 1, "failed: %s", None, None)
    try:
        raise ValueError("客户说预算五十万 via Bearer abcdefghijklmnop")
    except ValueError as exc:
        record.args = (exc,)
        record.exc_info = (type(exc), exc, exc.__traceback__)
    assert RedactRecord().filter(record)

    def format_in_a_call() -> str:
        bind_log_context(call_id="c-9", request_id=None)
        return JsonFormatter().format(record)

    # In a copy of the context, as a call's task has: the ids do not leak into other tests.
    line = json.loads(contextvars.copy_context().run(format_in_a_call))
    assert line["call_id"] == "c-9" and "request_id" not in line
    assert line["message"] == "failed: [text] via Bearer [REDACTED]"
    assert "ValueError: [text] via Bearer [REDACTED]" in line["exc"]
    assert not CHINESE.search(line["exc"])
