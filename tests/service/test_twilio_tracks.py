"""Twilio both-track streams: inbound and outbound become the two channels of a stereo call."""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import numpy as np
import pytest
import websockets

from copilot.service.telephony import TelephonyError, TrackInterleaver, parse_twilio
from speech.audio import SAMPLE_RATE, decode_file
from tests.service.conftest import DEVSET_AUDIO, Service
from tests.service.test_sockets import audio_url, mulaw_encode, token


def start_message(**custom: str) -> dict[str, object]:
    return {
        "event": "start",
        "start": {
            "streamSid": "MZ2",
            "tracks": ["inbound", "outbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            "customParameters": custom,
        },
    }


def test_the_outbound_track_is_the_rep_unless_configured() -> None:
    assert parse_twilio(start_message()).speakers == ["customer", "rep"]  # type: ignore[union-attr]
    swapped = parse_twilio(start_message(rep_track="inbound"))
    assert swapped.speakers == ["rep", "customer"]  # type: ignore[union-attr]
    with pytest.raises(TelephonyError):
        parse_twilio(start_message(rep_track="left"))


def test_tracks_are_paired_in_time_and_a_silent_track_does_not_stall_the_other() -> None:
    tracks = TrackInterleaver()
    one = np.full(160, 100, "<i2").tobytes()
    assert tracks.push("inbound", one) == b""  # waits for the outbound 20 ms
    stereo = np.frombuffer(tracks.push("outbound", one), "<i2").reshape(-1, 2)
    assert stereo.shape == (160, 2)
    released = b"".join(tracks.push("inbound", one) for _ in range(40))  # 0.8 s, one track
    assert len(released) > 0  # past 0.5 s ahead, the other is taken as silence
    assert np.frombuffer(released, "<i2").reshape(-1, 2)[:, 1].max() == 0


def test_a_both_tracks_stream_is_a_stereo_call_with_rep_and_customer(service: Service) -> None:
    stereo = decode_file(DEVSET_AUDIO / "dc02.stereo.wav").samples
    # Outbound carries the rep (left), inbound the customer (right); 8 kHz μ-law.
    rep = mulaw_encode(stereo[0, : 13 * SAMPLE_RATE : 2])
    customer = mulaw_encode(stereo[1, : 13 * SAMPLE_RATE : 2])

    async def run() -> None:
        url = audio_url(service, "twilio-both", token(service, "twilio-both"))
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"event": "connected", "protocol": "Call"}))
            await ws.send(json.dumps(start_message()))
            assert json.loads(await ws.recv())["type"] == "started"
            for offset in range(0, len(rep), 160):
                for track, payload in (("inbound", customer), ("outbound", rep)):
                    media = base64.b64encode(payload[offset : offset + 160]).decode()
                    message = {"event": "media", "media": {"track": track, "payload": media}}
                    await ws.send(json.dumps(message))
            await ws.send(json.dumps({"event": "stop"}))
            while json.loads(await ws.recv())["type"] != "stopped":
                pass

    asyncio.run(run())
    summary = httpx.get(
        f"{service.url}/v1/calls/twilio-both/summary",
        headers={"Authorization": f"Bearer {service.rep_key}"},
    ).json()
    said = [(s["speaker"], s["text"]) for s in summary["transcript"]]
    # 「…报价单…」 rep, 「…一年最多十万」 customer, 「…打个五折…」 rep, 「…老板…」 customer.
    assert [speaker for speaker, _ in said] == ["rep", "customer", "rep"], said
    assert "unauthorized_discount" in {f["category"] for f in summary["compliance_flags"]}
