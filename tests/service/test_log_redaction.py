"""Socket tokens and keys in URLs never reach the logs of ``copilot serve``."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import websockets

from copilot.commands import service as service_command
from copilot.commands.service import running_service
from copilot.service.log_redaction import REDACTED, RedactSecrets, redact
from copilot.service.pipeline import Engines
from copilot.settings import get_settings
from speech.engine import SpeechEngine
from tests.service.conftest import Service, service_settings
from tests.service.test_sockets import START, audio_url, events_url, token


def test_copilot_serve_configures_uvicorn_with_the_redacting_filter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Only uvicorn.run is replaced (it would block): what serve hands it is the real config.
    given: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **options: given.update(options))
    get_settings.cache_clear()
    try:
        service_command.serve(host="127.0.0.1", port=1)
    finally:
        get_settings.cache_clear()
    config = given["log_config"]
    assert config["filters"]["redact_secrets"]["()"].endswith("RedactSecrets")
    # Beside it, copilot/service/logs.py's filter (keys, bearer tokens, what was said).
    assert config["handlers"]["access"]["filters"] == ["redact_secrets", "redact_record"]
    assert config["handlers"]["default"]["filters"] == ["redact_secrets", "redact_record"]


def test_the_access_log_of_a_live_server_never_holds_a_token(
    db_url: str,
    engines: Engines,
    speech_engine: SpeechEngine,
    capfd: pytest.CaptureFixture[str],
) -> None:
    settings = service_settings(db_url)
    with running_service(
        settings, log_level="info", engines=engines, speech_engine=speech_engine
    ) as (url, key):
        service = Service(url, key, settings)
        tok = token(service, "logged")

        async def run() -> None:
            async with websockets.connect(audio_url(service, "logged", tok)) as ws:
                await ws.send(json.dumps(START))
                await ws.recv()
                await ws.send(json.dumps({"type": "stop"}))
                while json.loads(await ws.recv())["type"] != "stopped":
                    pass
            async with websockets.connect(events_url(service, "logged", tok, 3)) as ws:
                async for _ in ws:
                    pass
            # A refused socket (bad token) and a plain HTTP request with a key in the URL.
            async with websockets.connect(audio_url(service, "logged", tok + "x")) as ws:
                with pytest.raises(websockets.ConnectionClosed):
                    while True:
                        await ws.recv()

        asyncio.run(run())
        httpx.get(f"{url}/healthz", params={"api_key": key, "after": "1"})
    out, err = capfd.readouterr()
    logged = out + err
    assert "WebSocket /v1/calls/logged/audio?token=" in logged, logged[-2000:]
    assert f"token={REDACTED}" in logged and f"api_key={REDACTED}&after=1" in logged
    assert tok not in logged and tok.split(".")[-1] not in logged
    assert key not in logged


def test_the_filter_rewrites_messages_and_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/x?token=v1.abc.def&after=2&client_secret=s", "1.1", 200),
        None,
    )
    assert RedactSecrets().filter(record)
    assert record.getMessage() == (
        f'127.0.0.1:1 - "GET /x?token={REDACTED}&after=2&client_secret={REDACTED} HTTP/1.1" 200'
    )
    assert redact("/v1/calls?limit=5") == "/v1/calls?limit=5"
    assert redact("see ?Password=hunter2 and &apiKey=k") == (
        f"see ?Password={REDACTED} and &apiKey={REDACTED}"
    )
