"""Bad input on the call sockets, resume after seq, a restart mid-call, Twilio streams."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import numpy as np
import pytest
import websockets

from copilot.client import replay_call, ws_url
from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le
from speech.engine import SpeechEngine
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings


def token(service: Service, call_id: str, key: str | None = None) -> str:
    headers = {"Authorization": f"Bearer {key or service.rep_key}"}
    response = httpx.post(
        f"{service.url}/v1/auth/socket-token", json={"call_id": call_id}, headers=headers
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def audio_url(service: Service, call_id: str, tok: str) -> str:
    return ws_url(service.url, f"/v1/calls/{call_id}/audio?token={tok}")


def events_url(service: Service, call_id: str, tok: str, after: int = 0) -> str:
    return ws_url(service.url, f"/v1/calls/{call_id}/events?token={tok}&after={after}")


START = {"type": "start", "sample_rate": 16000, "channels": 2, "encoding": "pcm_s16le"}


async def refused(url: str, first: str | bytes | None) -> tuple[int | None, dict[str, Any]]:
    """Open a socket, send ``first``, return the close code and the error message."""
    async with websockets.connect(url) as ws:
        if first is not None:
            await ws.send(first)
        message = json.loads(await ws.recv())
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        return ws.close_code, message


@pytest.mark.parametrize(
    ("first", "code", "words"),
    [
        (json.dumps({**START, "sample_rate": 12345}), 4400, "sample_rate"),
        (json.dumps({**START, "channels": 6}), 4400, "channels"),
        (json.dumps({**START, "encoding": "opus"}), 4400, "encoding"),
        ("{not json", 4400, "not JSON"),
        (b"\x00\x01" * 100, 4400, "JSON text message first"),
    ],
)
def test_a_wrong_start_header_is_refused_with_the_reason(
    service: Service, first: str | bytes, code: int, words: str
) -> None:
    url = audio_url(service, "bad-header", token(service, "bad-header"))
    close_code, message = asyncio.run(refused(url, first))
    assert close_code == code
    assert words in message["message"]


def test_bad_credentials_and_other_calls_are_refused(service: Service) -> None:
    good = token(service, "call-a")
    # A token opens only the call it was issued for; a made-up one nothing.
    assert asyncio.run(refused(audio_url(service, "call-b", good), None))[0] == 4401
    assert asyncio.run(refused(audio_url(service, "call-a", good + "x"), None))[0] == 4401
    assert asyncio.run(refused(events_url(service, "call-a", "nonsense"), None))[0] == 4401
    # Unknown call: the events socket says not found, as for someone else's call.
    assert asyncio.run(refused(events_url(service, "call-a", good), None))[0] == 4404
    with httpx.Client(base_url=service.url) as http:
        assert http.get("/v1/calls").status_code == 401
        wrong = {"Authorization": "Bearer cpk_nope_nope"}
        assert http.get("/v1/calls", headers=wrong).json()["error"]["code"] == "unauthenticated"


def test_bad_frames_are_answered_and_the_call_goes_on(service: Service) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    pcm = to_pcm_s16le(audio.samples[:, : 6 * SAMPLE_RATE])

    async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        tok = token(service, "frames")
        warnings = []
        async with websockets.connect(audio_url(service, "frames", tok)) as ws:
            await ws.send(json.dumps(START))
            assert json.loads(await ws.recv())["type"] == "started"
            await ws.send(b"\x01\x02\x03")  # not whole stereo samples
            warnings.append(json.loads(await ws.recv()))
            await ws.send(b"\x00" * (4 * SAMPLE_RATE * 3))  # 3 s in one frame: too large
            warnings.append(json.loads(await ws.recv()))
            await ws.send(json.dumps({"type": "dance"}))
            warnings.append(json.loads(await ws.recv()))
            await ws.send(json.dumps(START))  # a second start header
            warnings.append(json.loads(await ws.recv()))
            for offset in range(0, len(pcm), 6400):
                await ws.send(pcm[offset : offset + 6400])
            await ws.send(json.dumps({"type": "stop"}))
            while (reply := json.loads(await ws.recv()))["type"] != "stopped":
                pass
        return warnings, reply

    warnings, stopped = asyncio.run(run())
    codes = [w["code"] for w in warnings]
    assert codes == ["bad_frame", "bad_frame", "bad_message", "bad_message"]
    assert "whole number" in warnings[0]["message"] and "larger" in warnings[1]["message"]
    assert warnings[3]["message"] == "the call has started: send audio or stop"
    assert warnings[3]["fatal"] is False
    assert stopped["call_id"] == "frames"
    summary = httpx.get(
        f"{service.url}/v1/calls/frames/summary",
        headers={"Authorization": f"Bearer {service.rep_key}"},
    ).json()
    assert summary["transcript"], "the good audio after the bad frames was transcribed"


def test_a_reconnecting_client_misses_nothing(service: Service) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    result = asyncio.run(
        replay_call(service.url, service.rep_key, audio, call_id="resume", speed=8.0)
    )
    stored = [e for e in result.events if e["type"] != "transcript.partial"]

    async def read_all(after: int) -> list[dict[str, Any]]:
        async with websockets.connect(
            events_url(service, "resume", token(service, "resume"), after)
        ) as ws:
            return [json.loads(m) async for m in ws]

    first_half = stored[: len(stored) // 2]
    rest = asyncio.run(read_all(after=first_half[-1]["seq"]))
    assert first_half + rest == stored
    assert asyncio.run(read_all(after=0)) == stored


def test_a_restart_mid_call_keeps_the_finals_and_the_call_resumes(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
    pcm = to_pcm_s16le(audio.samples)
    split = 20 * SAMPLE_RATE * 4  # bytes of the first 20 s (stereo int16)
    settings = service_settings(db_url)

    async def stream(url: str, chunk: bytes, stop: bool) -> None:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps(START))
            started = json.loads(await ws.recv())
            assert started["type"] == "started"
            for offset in range(0, len(chunk), 12800):
                await ws.send(chunk[offset : offset + 12800])
                await asyncio.sleep(0.02)
            if stop:
                await ws.send(json.dumps({"type": "stop"}))
                while json.loads(await ws.recv())["type"] != "stopped":
                    pass
            else:
                await asyncio.sleep(3.0)  # let recognition catch up before the "crash"

    options = {"engines": engines, "speech_engine": speech_engine}
    with running_service(settings, **options) as (url, key):
        service = Service(url, key, settings)
        asyncio.run(
            stream(audio_url(service, "restart", token(service, "restart")), pcm[:split], False)
        )
    # The server went away mid-call; a new one starts on the same database.
    with running_service(settings, **options) as (url, key):
        service = Service(url, key, settings)
        headers = {"Authorization": f"Bearer {key}"}
        call = httpx.get(f"{url}/v1/calls/restart", headers=headers).json()
        assert call["status"] == "interrupted"
        before = httpx.get(f"{url}/v1/calls/restart", headers=headers).json()["duration_s"]
        assert before > 10
        asyncio.run(
            stream(audio_url(service, "restart", token(service, "restart")), pcm[split:], True)
        )
        summary = httpx.get(f"{url}/v1/calls/restart/summary", headers=headers).json()
    ids = [s["id"] for s in summary["transcript"]]
    assert len(ids) == len(set(ids)) >= 8
    starts = [s["start"] for s in summary["transcript"]]
    assert starts == sorted(starts) and starts[-1] > 30, "times go on after the restart"
    assert summary["budget"] and [c["name"] for c in summary["competitors"]] == ["销售易"]


def mulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 μ-law of float samples in [-1, 1] (what a phone network sends)."""
    x = np.clip(samples, -1, 1) * 32635
    sign = np.where(x < 0, 0x80, 0)
    magnitude = np.abs(x) + 0x84
    exponent = np.clip(np.floor(np.log2(magnitude)) - 7, 0, 7).astype(int)
    mantissa = (magnitude.astype(int) >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def test_a_twilio_media_stream_is_transcribed(service: Service) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc02.mono.wav")
    # 8 kHz μ-law, as telephony sends it: take every other sample of the 16 kHz audio.
    payload = mulaw_encode(audio.samples[0, : 12 * SAMPLE_RATE : 2])

    async def run() -> None:
        async with websockets.connect(audio_url(service, "twilio", token(service, "twilio"))) as ws:
            await ws.send(json.dumps({"event": "connected", "protocol": "Call"}))
            await ws.send(
                json.dumps(
                    {
                        "event": "start",
                        "start": {
                            "streamSid": "MZ1",
                            "mediaFormat": {
                                "encoding": "audio/x-mulaw",
                                "sampleRate": 8000,
                                "channels": 1,
                            },
                            "customParameters": {"speaker": "customer"},
                        },
                    }
                )
            )
            assert json.loads(await ws.recv())["type"] == "started"
            for offset in range(0, len(payload), 160):
                media = base64.b64encode(payload[offset : offset + 160]).decode()
                await ws.send(json.dumps({"event": "media", "media": {"payload": media}}))
            await ws.send(json.dumps({"event": "media", "media": {"payload": "***"}}))
            assert json.loads(await ws.recv())["code"] == "bad_message"
            await ws.send(json.dumps({"event": "stop"}))
            while json.loads(await ws.recv())["type"] != "stopped":
                pass

    asyncio.run(run())
    summary = httpx.get(
        f"{service.url}/v1/calls/twilio/summary",
        headers={"Authorization": f"Bearer {service.rep_key}"},
    ).json()
    assert summary["transcript"] and {s["speaker"] for s in summary["transcript"]} == {"customer"}
    # Phone-quality audio of the first three turns: 「…报价单…」「…一年最多十万」「…」.
    assert len(summary["transcript"]) == 3
    assert any("万" in s["text"] for s in summary["transcript"])
