"""Audio on a live socket is read at most a little faster than real time."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import numpy as np
import pytest
import websockets

from copilot.commands.service import running_service
from copilot.service.pacing import AudioPacer
from copilot.service.pipeline import Engines
from speech.audio import SAMPLE_RATE
from speech.engine import SpeechEngine
from tests.service.conftest import Service, service_settings
from tests.service.test_sockets import START, audio_url, token


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_pacer_lets_a_burst_through_then_holds_to_the_speed() -> None:
    clock = Clock()
    pacer = AudioPacer(speed=1.5, burst_s=5.0, clock=clock)
    # Five seconds arrive at once: the burst allowance takes them.
    assert [pacer.take(1.0) for _ in range(5)] == [0.0] * 5
    # The sixth must wait until 1 s of audio is earned back at 1.5 s of audio per second.
    assert pacer.take(1.0) == pytest.approx(1 / 1.5)
    clock.now += 1 / 1.5
    # A client that keeps pushing stays held at the speed: 1.5 s of audio per wall second.
    waits = []
    for _ in range(30):
        wait = pacer.take(0.5)
        waits.append(wait)
        clock.now += wait
    assert sum(waits) == pytest.approx(30 * 0.5 / 1.5)


def test_a_real_time_client_is_never_held() -> None:
    clock = Clock()
    pacer = AudioPacer(speed=1.5, burst_s=2.0, clock=clock)
    for _ in range(600):  # a minute of 100 ms frames, sent as they are spoken
        assert pacer.take(0.1) == 0.0
        clock.now += 0.1
    # Idle time does not bank more than the burst.
    clock.now += 60
    assert [pacer.take(1.0) for _ in range(2)] == [0.0, 0.0]
    assert pacer.take(1.0) > 0


def test_a_flooding_client_is_held_back_by_the_server(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    """20 s of audio sent as fast as the socket takes it: the server reads it at 4× real
    time after a 1 s burst, so ``stopped`` cannot come before ~4.75 s; meanwhile audio
    waiting for recognition stays under its bound."""
    settings = service_settings(
        db_url, max_audio_speed=4.0, audio_burst_s=1.0, max_queued_audio_s=3.0
    )
    rng = np.random.default_rng(0)
    noise = (rng.normal(0, 30, (20 * SAMPLE_RATE, 2))).astype("<i2").tobytes()

    async def flood(service: Service) -> tuple[float, float]:
        max_lag = 0.0
        async with (
            httpx.AsyncClient(base_url=service.url) as http,
            websockets.connect(audio_url(service, "flood", token(service, "flood"))) as ws,
        ):
            await ws.send(json.dumps(START))
            assert json.loads(await ws.recv())["type"] == "started"
            began = time.perf_counter()

            async def push() -> None:
                for offset in range(0, len(noise), 6400):
                    await ws.send(noise[offset : offset + 6400])
                await ws.send(json.dumps({"type": "stop"}))

            async def sample_lag() -> None:
                nonlocal max_lag
                while True:
                    max_lag = max(max_lag, (await http.get("/healthz")).json()["asr_lag_s"])
                    await asyncio.sleep(0.05)

            pusher = asyncio.create_task(push())
            sampler = asyncio.create_task(sample_lag())
            while (reply := json.loads(await ws.recv()))["type"] != "stopped":
                pass
            elapsed = time.perf_counter() - began
            sampler.cancel()
            await pusher
        assert reply["call_id"] == "flood"
        return elapsed, max_lag

    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        elapsed, max_lag = asyncio.run(flood(Service(url, key, settings)))
    assert elapsed >= (20 - 1) / 4.0 * 0.95, f"read 20 s of audio in {elapsed:.2f} s"
    # The queue bound (3 s) plus one frame in flight: memory does not follow the flood.
    assert max_lag <= 3.5
