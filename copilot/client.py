"""A client of the live service: replay a recording as a live call and watch its events.

``copilot replay`` and the demo use it; so do the service tests and the concurrency
benchmark, so what they measure is what a real client sees over real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from speech.audio import SAMPLE_RATE, DecodedAudio, to_pcm_s16le


class ClientError(Exception):
    """The service refused or failed a request; the message says why."""


@dataclass
class ReplayResult:
    call_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    # Wall seconds from the moment a segment's last voiced sample was sent to its final.
    final_latencies_s: list[float] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)


def ws_url(base_url: str, path: str) -> str:
    scheme, rest = base_url.split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest.rstrip('/')}{path}"


async def socket_token(http: httpx.AsyncClient, call_id: str) -> str:
    response = await http.post("/v1/auth/socket-token", json={"call_id": call_id})
    _check(response)
    token: str = response.json()["token"]
    return token


async def replay_call(
    base_url: str,
    api_key: str,
    audio: DecodedAudio,
    *,
    call_id: str | None = None,
    speed: float = 1.0,
    frame_ms: int = 100,
    customer_name: str = "",
    crm: dict[str, str] | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    timeout_s: float = 120.0,
) -> ReplayResult:
    """Stream ``audio`` to the service as a live call at ``speed`` × real time, collecting
    every event until the summary arrives."""
    if speed <= 0:
        raise ValueError("speed must be positive")
    call_id = call_id or f"call-{uuid.uuid4().hex[:12]}"
    result = ReplayResult(call_id)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10.0) as http:
        token = await socket_token(http, call_id)
    audio_url = ws_url(base_url, f"/v1/calls/{call_id}/audio?token={token}")
    events_url = ws_url(base_url, f"/v1/calls/{call_id}/events?token={token}")

    async with websockets.connect(audio_url, max_size=2**22) as audio_ws:
        await audio_ws.send(
            json.dumps(
                {
                    "type": "start",
                    "sample_rate": SAMPLE_RATE,
                    "channels": audio.channels,
                    "encoding": "pcm_s16le",
                    "customer_name": customer_name,
                    # The CRM records the call belongs to (CrmIdentity), when known.
                    **({"crm": crm} if crm else {}),
                }
            )
        )
        reply = json.loads(await audio_ws.recv())
        if reply.get("type") != "started":
            raise ClientError(f"the service refused the call: {reply.get('message', reply)}")
        started = time.perf_counter()

        async def watch() -> None:
            async with websockets.connect(events_url, max_size=2**24) as events_ws:
                async for raw in events_ws:
                    event = json.loads(raw)
                    result.events.append(event)
                    if event["type"] == "transcript.final":
                        # The segment's last voiced sample "was spoken" at this moment.
                        spoken = started + event["segment"]["end"] / speed
                        result.final_latencies_s.append(time.perf_counter() - spoken)
                    if on_event is not None:
                        on_event(event)
                    if event["type"] == "call.summary":
                        result.summary = event["summary"]
                        return

        async def listen() -> None:
            with contextlib.suppress(websockets.ConnectionClosed):
                async for raw in audio_ws:
                    message = json.loads(raw)
                    if message.get("type") == "error":
                        result.warnings.append(message)

        watcher = asyncio.create_task(watch())
        listener = asyncio.create_task(listen())
        pcm = to_pcm_s16le(audio.samples)
        frame_bytes = SAMPLE_RATE * frame_ms // 1000 * 2 * audio.channels
        for offset in range(0, len(pcm), frame_bytes):
            frame = pcm[offset : offset + frame_bytes]
            audio_s = (offset + len(frame)) / (2 * audio.channels) / SAMPLE_RATE
            delay = started + audio_s / speed - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await audio_ws.send(frame)
            if watcher.done():
                break
        await audio_ws.send(json.dumps({"type": "stop"}))
        try:
            await asyncio.wait_for(watcher, timeout_s)
        finally:
            listener.cancel()
    return result


def _check(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        message = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        message = response.text[:200]
    raise ClientError(f"HTTP {response.status_code} from {response.request.url.path}: {message}")
