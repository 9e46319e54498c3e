"""The two WebSockets of a call: audio in, events out (docs/service.md)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.websockets import WebSocketState

from copilot.auth import (
    AuthError,
    Forbidden,
    Principal,
    authenticate_api_key,
    bearer_from_header,
    verify_socket_token,
)
from copilot.crm.filing import CrmIdentity
from copilot.events import CallStatusEvent, Event, EventStamper
from copilot.permissions import Action, authorize
from copilot.roles import TextRoleResolver
from copilot.service.audio_writer import WavRecording
from copilot.service.deps import ApiError, call_for, visible_call
from copilot.service.hub import SubscriberTooSlow
from copilot.service.instances import CallHeldElsewhere
from copilot.service.live import LiveCall
from copilot.service.logs import bind_log_context
from copilot.service.pacing import AudioPacer
from copilot.service.pipeline import CallPipeline
from copilot.service.recorder import SqlCallRecorder, load_progress
from copilot.service.state import ServiceState
from copilot.service.telephony import (
    MULAW_SAMPLE_RATE,
    TelephonyError,
    TrackInterleaver,
    TwilioIgnored,
    TwilioMedia,
    TwilioStart,
    TwilioStop,
    is_twilio,
    parse_twilio,
)
from copilot.service.uploads import upload_dir
from copilot.store import filing, recordings, repo
from copilot.store.models import Call
from copilot.store.scorecards import live_checklist
from copilot.store.unstorable import unstorable
from speech.audio import SAMPLE_RATE, PcmFormat
from speech.correction import call_terms
from speech.errors import StreamFormatError
from speech.types import Speaker

logger = logging.getLogger(__name__)
router = APIRouter()

# Close codes in the 4000 range mirror HTTP statuses, so clients can tell why.
CLOSE_BAD_REQUEST = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_CONFLICT = 4409
CLOSE_TOO_SLOW = 4408
CLOSE_BUSY = 4503
# Another live instance streams this call's audio (421 Misdirected Request): the load
# balancer must route a call's audio to one instance (docs/instances.md).
CLOSE_MISDIRECTED = 4421
# The call failed on the server (copilot/service/errors.py: a fatal fault); see the error.
CLOSE_CALL_FAILED = 4500
START_TIMEOUT_S = 15.0
# No message of the protocol nests deeper than a few levels; json.loads recurses per level.
MAX_JSON_DEPTH = 32
# ``after`` is a stored event seq (a 32-bit column on PostgreSQL).
MAX_SEQ = 2**31 - 1
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)


class StartMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["start"]
    sample_rate: int
    channels: Literal[1, 2]
    encoding: Literal["pcm_s16le"] = "pcm_s16le"
    customer_name: str = Field(default="", max_length=200)
    hotwords: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=200
    )
    channel_map: list[Speaker] | None = None
    language: Literal["zh"] = "zh"
    # The call's people and products (CONTRACT version 2): recognition spells them right.
    contacts: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    products: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    # The CRM records the call belongs to, when the rep picked them before starting.
    crm: CrmIdentity | None = None
    # The client gave the 录音告知 (told the customer the call is recorded) at the start.
    recording_notice: bool = False

    @model_validator(mode="after")
    def _one_speaker_per_channel(self) -> StartMessage:
        # The transcriber needs exactly one speaker per channel; refused here, before a call
        # is created, rather than failing inside it.
        if self.channel_map is not None and len(self.channel_map) != self.channels:
            raise ValueError(
                f"channel_map names {len(self.channel_map)} speakers for "
                f"{self.channels} channel(s); give one per channel"
            )
        return self

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


def _permit(state: ServiceState, principal: Principal, call_id: str, action: Action) -> None:
    """The permission table's answer for a socket (copilot.permissions): 4403 when the
    role or the call's owner is out of scope, 4404 when the caller cannot see the call. A
    call id the org has no call under is a new call: the caller's own."""
    bind_log_context(org_id=principal.org_id)
    try:
        authorize(principal, action)
        with state.sessions() as session:
            if repo.find_call(session, principal.org_id, call_id) is not None:
                call_for(session, principal, call_id, action)
    except Forbidden as exc:
        raise _Rejected(CLOSE_FORBIDDEN, str(exc)) from exc
    except ApiError as exc:
        raise _Rejected(CLOSE_NOT_FOUND, "call not found") from exc


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
        await state.run_db(_permit, state, principal, call_id, "calls.stream")
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
        state.live.pop(live.call_id, None)
        await _release(state, live.call_id)


async def _release(state: ServiceState, call_id: str) -> None:
    """Another instance may take the call now (it is interrupted or over here)."""
    try:
        await state.run_db(state.instances.release, call_id)
    except Exception as exc:  # kept: another instance takes it once the call is not live
        logger.warning("call %s: claim not released: %s", call_id, exc)


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
    # Live calls, the hub and events are keyed by the stored id, never by the client's.
    stored_id = await state.run_db(_stored_id, state, principal, call_id)
    if stored_id in state.live:
        raise _Rejected(CLOSE_CONFLICT, "this call is already streaming")
    if len(state.live) >= state.settings.service.max_live_calls:
        raise _Rejected(CLOSE_BUSY, "the server is at its limit of live calls; try again later")
    live, resumed = await _make_live_call(state, principal, call_id, start)
    if live.call_id in state.live:
        # Another socket of the same call got here during the set-up above (not started).
        raise _Rejected(CLOSE_CONFLICT, "this call is already streaming")
    state.live[live.call_id] = live
    live.start()
    await ws.send_json({"type": "started", "call_id": live.call_id, "resumed": resumed})
    return live, twilio


def _claim(state: ServiceState, session: Any, call: Call) -> None:
    """This instance holds the call's audio from now (in the transaction marking it live)."""
    try:
        state.instances.claim(session, call)
    except CallHeldElsewhere as exc:
        raise _Rejected(CLOSE_MISDIRECTED, str(exc)) from exc


def _stored_id(state: ServiceState, principal: Principal, call_id: str) -> str | None:
    with state.sessions() as session:
        call = repo.find_call(session, principal.org_id, call_id)
        return call.id if call is not None else None


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
                channels=len(parsed.speakers),  # type: ignore[arg-type]  # 1 or 2 tracks
                channel_map=parsed.speakers,
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
    except RecursionError as exc:
        # The decoder recurses once per level and gives up at the interpreter's limit.
        raise _Rejected(CLOSE_BAD_REQUEST, _TOO_DEEP) from exc
    if not isinstance(value, dict):
        raise _Rejected(CLOSE_BAD_REQUEST, "the message must be a JSON object")
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise _Rejected(CLOSE_BAD_REQUEST, _TOO_DEEP)
    if (bad := unstorable(value)) is not None:
        raise _Rejected(CLOSE_BAD_REQUEST, bad)
    return value


_TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"


def _json_depth(value: object) -> int:
    """How deep lists and objects nest in a decoded JSON value (without recursing)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                break
            pending.extend((child, depth + 1) for child in item)
    return deepest


async def _make_live_call(
    state: ServiceState, principal: Principal, call_id: str, start: StartMessage
) -> tuple[LiveCall, bool]:
    """A new call, or the continuation of one interrupted (same id, same rep)."""

    def prepare() -> tuple[str, bool, dict[str, Any]]:
        with state.sessions.begin() as session:
            call = repo.find_call(session, principal.org_id, call_id)
            if call is None:
                try:
                    call = repo.create_call(
                        session,
                        org_id=principal.org_id,
                        rep_id=principal.user_id,
                        source="stream",
                        client_id=call_id,
                        customer_name=start.customer_name,
                        audio_format={
                            "sample_rate": start.sample_rate,
                            "channels": start.channels,
                        },
                    )
                except repo.Conflict as exc:
                    raise _Rejected(CLOSE_CONFLICT, "this call is already streaming") from exc
                if start.crm is not None and not start.crm.is_empty():
                    filing.link_crm(session, call, principal, start.crm)
                _claim(state, session, call)
                recording = recordings.start_streamed(session, call, notice=start.recording_notice)
                return (
                    call.id,
                    False,
                    {
                        "last_seq": 0,
                        "duration_s": 0.0,
                        "stored": ([], [], []),
                        "recording": recording,
                    },
                )
            try:
                visible_call(session, principal, call_id)
            except ApiError as exc:
                raise _Rejected(CLOSE_NOT_FOUND, "call not found") from exc
            if call.rep_id != principal.user_id:
                raise _Rejected(CLOSE_CONFLICT, "only the call's rep can stream its audio")
            if call.status not in ("live", "interrupted"):
                raise _Rejected(CLOSE_CONFLICT, f"the call is {call.status}; it cannot resume")
            _claim(state, session, call)
            call.status = "live"
            return (
                call.id,
                True,
                {
                    "last_seq": call.last_seq,
                    "duration_s": call.duration_s,
                    "stored": load_progress(session, call.id),
                    "recording": recordings.start_streamed(
                        session, call, notice=start.recording_notice
                    ),
                },
            )

    # From here on the call is its stored id: the client's may name another org's call.
    call_id, resumed, previous = await state.run_db(prepare)
    feedback = await state.run_db(state.feedback_for, principal.org_id)
    engines = await state.run_db(state.engines_for, principal.org_id)
    vocabulary = await state.run_db(state.terms_for, principal.org_id)
    segments, records, flags = previous["stored"]
    # Loading the model (first call after start) and building a transcriber take a moment.
    speech = await asyncio.get_running_loop().run_in_executor(state.executor, state.speech)
    numbers = [int(s.id.rsplit("-", 1)[-1]) for s in segments if s.id.rsplit("-", 1)[-1].isdigit()]
    transcriber = speech.new_call(
        PcmFormat(start.sample_rate, start.channels),
        hotwords=state.hotwords([*engines.hotwords, *start.hotwords]),
        terms=[
            *vocabulary,
            *call_terms(
                customers=[start.customer_name], people=start.contacts, products=start.products
            ),
        ],
        speakers=start.channel_map,
        roles=TextRoleResolver(),  # mono without a channel map: voices tell rep from customer
        first_segment=max(numbers, default=0) + 1,
        offset_s=previous["duration_s"],
        background_partials=True,  # a live stream: its finals never wait for a partial
    )
    stamper = EventStamper(call_id, first_seq=previous["last_seq"] + 1)
    checklist = await state.run_db(live_checklist, state.sessions, principal.org_id)
    pipeline = CallPipeline(engines, stamper, feedback=feedback, checklist=checklist)
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
        state.hub,
        state.executor,
        writes=state.writes,
        max_lag_s=state.settings.service.max_lag_s,
        max_queued_audio_s=state.settings.service.max_queued_audio_s,
        offset_s=previous["duration_s"],
        on_final=state.stats.record_final,
        audio=await _recording_for(state, previous["recording"], start),
    )
    return live, resumed


async def _recording_for(
    state: ServiceState, name: str | None, start: StartMessage
) -> WavRecording | None:
    """The WAV file a streamed call's audio goes to (None: the org keeps no recordings).
    Decoded samples are 16 kHz whatever the client sends (speech.audio.SAMPLE_RATE)."""
    if name is None:
        return None
    root = recordings.recordings_root(upload_dir(state.settings.service.upload_dir))
    await asyncio.to_thread(recordings.ensure_root, root)
    return WavRecording(root / name, sample_rate=SAMPLE_RATE, channels=start.channels)


async def _stream(state: ServiceState, ws: WebSocket, live: LiveCall, twilio: bool) -> None:
    """Read the call's audio, paced (copilot/service/pacing.py), until ``stop``, the client
    going away, or the call ending on the server (``POST /v1/calls/{id}/end``, a fatal
    fault): then the socket gets ``stopped`` (or the fatal ``error``) and closes."""
    service = state.settings.service
    pacer = AudioPacer(service.max_audio_speed, service.audio_burst_s)
    ended = asyncio.ensure_future(live.ended.wait())
    stopped = False
    # A both-tracks Twilio stream: its two tracks become the two channels of a stereo call.
    tracks = TrackInterleaver() if twilio and live.transcriber.format.channels == 2 else None
    try:
        while not live.closing:
            message = await _next_message(ws, ended)
            if message is None or message["type"] == "websocket.disconnect":
                break
            audio: bytes | None = None
            if message.get("bytes") is not None:
                if twilio:
                    await _warn(
                        ws, "unexpected_binary", "a Twilio stream sends JSON media messages"
                    )
                    continue
                audio = message["bytes"]
            else:
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
                    if isinstance(parsed, TwilioStop):
                        stopped = True
                        break
                    if not isinstance(parsed, TwilioMedia):
                        continue
                    audio = parsed.pcm if tracks is None else tracks.push(parsed.track, parsed.pcm)
                    if not audio:
                        continue
                elif body.get("type") == "stop":
                    stopped = True
                    break
                elif body.get("type") == "start":
                    await _warn(ws, "bad_message", "the call has started: send audio or stop")
                    continue
                else:
                    await _warn(ws, "bad_message", f"unknown message type {body.get('type')!r}")
                    continue
            if live.closing:
                break
            try:
                seconds = live.accept(audio)
            except StreamFormatError as exc:
                await _warn(ws, "bad_frame", str(exc))
                continue
            # Back-pressure: not reading is what holds a too-fast client back.
            delay = pacer.take(seconds)
            if delay > 0:
                await asyncio.wait({ended}, timeout=delay)
            await live.wait_for_room()
    except WebSocketDisconnect:
        pass
    finally:
        ended.cancel()
    if stopped or live.closing:
        await live.finish()
        await _close_audio(ws, live)
        return
    # The client went away without ``stop``: keep what was recognised and let the call be
    # resumed (same call id) or closed with POST /v1/calls/{id}/end.
    await live.suspend()
    await state.run_db(_mark_interrupted, state, live)


async def _next_message(ws: WebSocket, ended: asyncio.Future[Any]) -> Mapping[str, Any] | None:
    """The next message from the client, or None when the call ended on the server first."""
    receive = asyncio.ensure_future(ws.receive())
    await asyncio.wait({receive, ended}, return_when=asyncio.FIRST_COMPLETED)
    if receive.done():
        message: Mapping[str, Any] = receive.result()
        return message
    receive.cancel()
    with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
        await receive
    return None


async def _close_audio(ws: WebSocket, live: LiveCall) -> None:
    """The call is over: ``stopped`` and a normal close, or the fatal error and 4500."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        if live.fault is None:
            await ws.send_json({"type": "stopped", "call_id": live.call_id})
            await ws.close()
        else:
            fault = live.fault
            await ws.send_json(
                {"type": "error", "code": fault.code, "message": fault.message, "fatal": True}
            )
            await ws.close(code=CLOSE_CALL_FAILED, reason=fault.code)


def _mark_interrupted(state: ServiceState, live: LiveCall) -> None:
    with state.sessions.begin() as session:
        repo.mark_suspended_calls(session, [live.call_id])


async def _warn(ws: WebSocket, code: str, message: str) -> None:
    await ws.send_json({"type": "error", "code": code, "message": message, "fatal": False})


# -- events ------------------------------------------------------------------------------


@router.websocket("/v1/calls/{call_id}/events")
async def events_socket(ws: WebSocket, call_id: str) -> None:
    state = _state(ws)
    after = _after_seq(ws.query_params.get("after", "0"))
    if after is None:
        await _reject(ws, CLOSE_BAD_REQUEST, f"after must be a whole seq from 0 to {MAX_SEQ}")
        return

    def check() -> tuple[str, str]:
        principal = _authenticate(state, ws, call_id)
        _permit(state, principal, call_id, "calls.events")
        with state.sessions() as session:
            try:
                call = visible_call(session, principal, call_id)
            except ApiError as exc:
                raise _Rejected(CLOSE_NOT_FOUND, "call not found") from exc
            return call.id, call.status

    try:
        stored_id, status = await state.run_db(check)
    except _Rejected as exc:
        await _reject(ws, exc.code, exc.reason)
        return
    call_id = stored_id  # the hub and live calls know the stored id only
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


def _after_seq(text: str) -> int | None:
    """``after`` as a seq, or None: plain ASCII digits only (not ``1e29``, ``-1``, ``nan``
    or other scripts' digits, which ``int`` accepts), small enough for the store."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_SEQ)):
        return None
    seq = int(text)
    return seq if seq <= MAX_SEQ else None


async def _until_disconnect(ws: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
