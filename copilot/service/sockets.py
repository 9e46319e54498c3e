"""The two WebSockets of a call: audio in, events out (docs/service.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.websockets import WebSocketState

from copilot.auth import (
    AuthError,
    Principal,
    authenticate_api_key,
    bearer_from_header,
    verify_socket_token,
)
from copilot.events import CallStatusEvent, Event, EventStamper
from copilot.service.deps import ApiError, visible_call
from copilot.service.hub import SubscriberTooSlow
from copilot.service.live import LiveCall
from copilot.service.pipeline import CallPipeline
from copilot.service.recorder import SqlCallRecorder, load_progress
from copilot.service.state import ServiceState
from copilot.service.telephony import (
    MULAW_SAMPLE_RATE,
    TelephonyError,
    TwilioIgnored,
    TwilioMedia,
    TwilioStart,
    TwilioStop,
    is_twilio,
    parse_twilio,
)
from copilot.store import repo
from copilot.store.models import Call
from speech.audio import PcmFormat
from speech.errors import StreamFormatError
from speech.types import Speaker

logger = logging.getLogger(__name__)
router = APIRouter()

# Close codes in the 4000 range mirror HTTP statuses, so clients can tell why.
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_CONFLICT = 4409
CLOSE_TOO_SLOW = 4408
CLOSE_BUSY = 4503
START_TIMEOUT_S = 15.0
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    sample_rate: int
    channels: Literal[1, 2]
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    customer_name: str = Field(default="", max_length=200)
    hotwords: list[str] = Field(default_factory=list, max_length=200)
    channel_map: list[Speaker] | None = None
    language: Literal["zh"] = "zh"

    @field_validator("sample_rate")
    @classmethod
    def _known_rate(cls, rate: int) -> int:
        if rate not in SAMPLE_RATES:
            raise ValueError(
                f"sample_rate {rate} is not one of {', '.join(map(str, SAMPLE_RATES))}"
            )
        return rate


class _Rejected(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _state(ws: WebSocket) -> ServiceState:
    state: ServiceState = ws.app.state.service
    return state


def _authenticate(state: ServiceState, ws: WebSocket, call_id: str) -> Principal:
    token = ws.query_params.get("token")
    try:
        if token:
            return verify_socket_token(token, call_id, state.settings.auth)
        header = ws.headers.get("authorization")
        if header:
            with state.sessions.begin() as session:
                return authenticate_api_key(session, bearer_from_header(header))
    except AuthError as exc:
        raise _Rejected(CLOSE_UNAUTHORIZED, str(exc)) from exc
    raise _Rejected(CLOSE_UNAUTHORIZED, "missing ?token= (POST /v1/auth/socket-token) or bearer")


async def _reject(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        if ws.application_state != WebSocketState.CONNECTED:
            await ws.accept()
        await ws.send_json({"type": "error", "code": str(code), "message": reason})
        await ws.close(code=code, reason=reason[:120])


# -- audio -------------------------------------------------------------------------------


@router.websocket("/v1/calls/{call_id}/audio")
async def audio_socket(ws: WebSocket, call_id: str) -> None:
    state = _state(ws)
    try:
        principal = await state.run_db(_authenticate, state, ws, call_id)
    except _Rejected as exc:
        await _reject(ws, exc.code, exc.reason)
        return
    await ws.accept()
    try:
        live, twilio = await _open_call(state, ws, principal, call_id)
    except _Rejected as exc:
        await _reject(ws, exc.code, exc.reason)
        return
    except WebSocketDisconnect:
        return
    try:
        await _stream(state, ws, live, twilio)
    finally:
        state.live.pop(call_id, None)


async def _open_call(
    state: ServiceState, ws: WebSocket, principal: Principal, call_id: str
) -> tuple[LiveCall, bool]:
    try:
        message = await asyncio.wait_for(ws.receive(), START_TIMEOUT_S)
    except TimeoutError as exc:
        raise _Rejected(CLOSE_BAD_REQUEST, "no start message within 15 s") from exc
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect()
    header = _parse_json(state, message)
    twilio = is_twilio(header)
    start = await _start_message(ws, state, header) if twilio else _native_start(header)
    if call_id in state.live:
        raise _Rejected(CLOSE_CONFLICT, "this call is already streaming")
    if len(state.live) >= state.settings.service.max_live_calls:
        raise _Rejected(CLOSE_BUSY, "the server is at its limit of live calls; try again later")
    live, resumed = await _make_live_call(state, principal, call_id, start)
    state.live[call_id] = live
    live.start()
    await ws.send_json({"type": "started", "call_id": call_id, "resumed": resumed})
    return live, twilio


def _native_start(header: dict[str, Any]) -> StartMessage:
    try:
        return StartMessage.model_validate(header)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "header"
        raise _Rejected(
            CLOSE_BAD_REQUEST, f"invalid start header: {where}: {error['msg']}"
        ) from exc


async def _start_message(ws: WebSocket, state: ServiceState, first: dict[str, Any]) -> StartMessage:
    """Twilio sends ``connected`` then ``start``: wait for the latter."""
    message: dict[str, Any] = first
    for _ in range(5):
        try:
            parsed = parse_twilio(message)
        except TelephonyError as exc:
            raise _Rejected(CLOSE_BAD_REQUEST, str(exc)) from exc
        if isinstance(parsed, TwilioStart):
            return StartMessage(
                type="start",
                sample_rate=MULAW_SAMPLE_RATE,
                channels=1,
                channel_map=[parsed.speaker],
            )
        if not isinstance(parsed, TwilioIgnored):
            raise _Rejected(CLOSE_BAD_REQUEST, "media before the start message")
        raw = await asyncio.wait_for(ws.receive(), START_TIMEOUT_S)
        if raw["type"] == "websocket.disconnect":
            raise WebSocketDisconnect()
        message = _parse_json(state, raw)
    raise _Rejected(CLOSE_BAD_REQUEST, "no start message")


def _parse_json(state: ServiceState, message: Mapping[str, Any]) -> dict[str, Any]:
    text = message.get("text")
    if text is None:
        raise _Rejected(CLOSE_BAD_REQUEST, "expected a JSON text message first (the start header)")
    if len(text) > state.settings.service.max_text_bytes:
        raise _Rejected(CLOSE_BAD_REQUEST, "text message too large")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Rejected(CLOSE_BAD_REQUEST, f"not JSON: {exc.msg} at {exc.pos}") from exc
    if not isinstance(value, dict):
        raise _Rejected(CLOSE_BAD_REQUEST, "the message must be a JSON object")
    return value


async def _make_live_call(
    state: ServiceState, principal: Principal, call_id: str, start: StartMessage
) -> tuple[LiveCall, bool]:
    """A new call, or the continuation of one interrupted (same id, same rep)."""

    def prepare() -> tuple[bool, dict[str, Any]]:
        with state.sessions.begin() as session:
            call = session.get(Call, call_id)
            if call is None:
                repo.create_call(
                    session,
                    org_id=principal.org_id,
                    rep_id=principal.user_id,
                    source="stream",
                    call_id=call_id,
                    customer_name=start.customer_name,
                    audio_format={"sample_rate": start.sample_rate, "channels": start.channels},
                )
                return False, {"last_seq": 0, "duration_s": 0.0, "stored": ([], [], [])}
            try:
                visible_call(session, principal, call_id)
            except ApiError as exc:
                raise _Rejected(CLOSE_NOT_FOUND, "call not found") from exc
            if call.rep_id != principal.user_id:
                raise _Rejected(CLOSE_CONFLICT, "only the call's rep can stream its audio")
            if call.status not in ("live", "interrupted"):
                raise _Rejected(CLOSE_CONFLICT, f"the call is {call.status}; it cannot resume")
            call.status = "live"
            return True, {
                "last_seq": call.last_seq,
                "duration_s": call.duration_s,
                "stored": load_progress(session, call_id),
            }

    resumed, previous = await state.run_db(prepare)
    feedback = await state.run_db(state.feedback_for, principal.org_id)
    scanner = await state.run_db(state.scanner_for, principal.org_id)
    segments, records, flags = previous["stored"]
    # Loading the model (first call after start) and building a transcriber take a moment.
    speech = await asyncio.get_running_loop().run_in_executor(state.executor, state.speech)
    numbers = [int(s.id.rsplit("-", 1)[-1]) for s in segments if s.id.rsplit("-", 1)[-1].isdigit()]
    transcriber = speech.new_call(
        PcmFormat(start.sample_rate, start.channels),
        hotwords=state.hotwords(start.hotwords),
        speakers=start.channel_map,
        first_segment=max(numbers, default=0) + 1,
        offset_s=previous["duration_s"],
    )
    stamper = EventStamper(call_id, first_seq=previous["last_seq"] + 1)
    pipeline = CallPipeline(state.engines, stamper, feedback=feedback, scanner=scanner)
    if resumed:
        pipeline.restore(segments, records, flags)
    recorder = SqlCallRecorder(state.sessions, principal.org_id, principal.user_id)
    status: list[Event] = [CallStatusEvent(status="live", **stamper.header())]  # type: ignore[arg-type]
    await state.run_db(recorder.record_events, call_id, status)
    state.hub.publish(status[0].model_dump(mode="json"))
    live = LiveCall(
        call_id,
        transcriber,
        pipeline,
        recorder,
        state.hub.publish,
        state.executor,
        max_lag_s=state.settings.service.max_lag_s,
        offset_s=previous["duration_s"],
        on_final=state.stats.record_final,
    )
    return live, resumed


async def _stream(state: ServiceState, ws: WebSocket, live: LiveCall, twilio: bool) -> None:
    stopped = False
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if message.get("bytes") is not None:
                if twilio:
                    await _warn(
                        ws, "unexpected_binary", "a Twilio stream sends JSON media messages"
                    )
                    continue
                try:
                    live.accept(message["bytes"])
                except StreamFormatError as exc:
                    await _warn(ws, "bad_frame", str(exc))
                continue
            try:
                body = _parse_json(state, message)
            except _Rejected as exc:
                await _warn(ws, "bad_message", exc.reason)
                continue
            if twilio:
                try:
                    parsed = parse_twilio(body)
                except TelephonyError as exc:
                    await _warn(ws, "bad_message", str(exc))
                    continue
                if isinstance(parsed, TwilioMedia):
                    try:
                        live.accept(parsed.pcm)
                    except StreamFormatError as exc:
                        await _warn(ws, "bad_frame", str(exc))
                    continue
                if isinstance(parsed, TwilioStop):
                    stopped = True
                    break
                continue
            if body.get("type") == "stop":
                stopped = True
                break
            await _warn(ws, "bad_message", f"unknown message type {body.get('type')!r}")
    except WebSocketDisconnect:
        pass
    if stopped:
        await live.finish()
        state.hub.close_call(live.call_id)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await ws.send_json({"type": "stopped", "call_id": live.call_id})
            await ws.close()
        return
    # The client went away without ``stop``: keep what was recognised and let the call be
    # resumed (same call id) or closed with POST /v1/calls/{id}/end.
    await live.suspend()
    await state.run_db(_mark_interrupted, state, live)


def _mark_interrupted(state: ServiceState, live: LiveCall) -> None:
    with state.sessions.begin() as session:
        call = session.get(Call, live.call_id)
        if call is not None and call.status == "live":
            call.status = "interrupted"


async def _warn(ws: WebSocket, code: str, message: str) -> None:
    await ws.send_json({"type": "error", "code": code, "message": message, "fatal": False})


# -- events ------------------------------------------------------------------------------


@router.websocket("/v1/calls/{call_id}/events")
async def events_socket(ws: WebSocket, call_id: str) -> None:
    state = _state(ws)
    try:
        after = int(ws.query_params.get("after", "0"))
    except ValueError:
        await _reject(ws, CLOSE_BAD_REQUEST, "after must be an integer seq")
        return

    def check() -> str:
        principal = _authenticate(state, ws, call_id)
        with state.sessions() as session:
            try:
                call = visible_call(session, principal, call_id)
            except ApiError as exc:
                raise _Rejected(CLOSE_NOT_FOUND, "call not found") from exc
            return call.status

    try:
        status = await state.run_db(check)
    except _Rejected as exc:
        await _reject(ws, exc.code, exc.reason)
        return
    await ws.accept()
    follow = status in ("live", "interrupted", "analysing") or call_id in state.live

    async def send() -> None:
        async for event in state.hub.subscribe(call_id, after, follow=follow):
            await ws.send_json(event)

    sender = asyncio.create_task(send())
    receiver = asyncio.create_task(_until_disconnect(ws))
    done, pending = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if sender in done:
        error = sender.exception()
        if isinstance(error, SubscriberTooSlow):
            await _reject(ws, CLOSE_TOO_SLOW, "client too slow; reconnect with after=<last seq>")
        elif error is None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await ws.close()


async def _until_disconnect(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
