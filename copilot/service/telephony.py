"""Audio as telephony platforms send it: Twilio-Media-Streams-style JSON with base64 μ-law.

Twilio (and platforms that copy its protocol) stream ``{"event": "media", "media":
{"payload": "<base64 G.711 μ-law, 8 kHz, mono>"}}`` messages between a ``start`` and a
``stop`` message. We turn each payload into the same little-endian 16-bit PCM the native
protocol carries, so one streaming path serves both.

A ``both_tracks`` stream (``start.tracks`` = inbound and outbound) is a stereo call: each
media message names its ``track``; :class:`TrackInterleaver` pairs the two into channel 0
(inbound) and channel 1 (outbound). Outbound (what Twilio plays to the leg the stream is on,
usually the rep dialling out to the customer) is the rep unless ``customParameters.rep_track``
says ``inbound``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from speech.types import Speaker

MULAW_SAMPLE_RATE = 8000
# Twilio sends 20 ms per message; anything far larger is not a media frame we understand.
MAX_PAYLOAD_BYTES = 16_000


SPEAKERS: dict[str, Speaker] = {"rep": "rep", "customer": "customer", "unknown": "unknown"}
TRACKS = ("inbound", "outbound")  # channel 0 and channel 1 of a both-tracks stream
DEFAULT_REP_TRACK = "outbound"
# One track ahead of the other by more than this (0.5 s at 8 kHz): the silent one sent
# nothing (a dropped packet, a muted leg) and is taken as silence so audio keeps flowing.
MAX_TRACK_SKEW_SAMPLES = 4000


class TelephonyError(ValueError):
    """A message that is not valid Twilio-Media-Streams JSON."""


def _mulaw_table() -> np.ndarray:
    """G.711 μ-law byte → linear 16-bit sample, for all 256 codes."""
    codes = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype("<i2")


_MULAW_TO_PCM = _mulaw_table()


def mulaw_to_pcm16(payload: bytes) -> bytes:
    """Decode G.711 μ-law bytes to little-endian 16-bit PCM (same sample count)."""
    return _MULAW_TO_PCM[np.frombuffer(payload, dtype=np.uint8)].tobytes()


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")


class MediaFormat(_Message):
    encoding: str = "audio/x-mulaw"
    sample_rate: int = Field(default=MULAW_SAMPLE_RATE, alias="sampleRate")
    channels: int = 1


class StartInfo(_Message):
    stream_sid: str | None = Field(default=None, alias="streamSid")
    call_sid: str | None = Field(default=None, alias="callSid")
    media_format: MediaFormat = Field(default_factory=MediaFormat, alias="mediaFormat")
    custom_parameters: dict[str, str] = Field(default_factory=dict, alias="customParameters")
    tracks: list[str] = Field(default_factory=lambda: ["inbound"])


class TwilioStart(BaseModel):
    """``speakers``: one per channel (two for a both-tracks stream, inbound first)."""

    speakers: list[Speaker]
    stream_sid: str | None


class TwilioMedia(BaseModel):
    pcm: bytes
    track: str = "inbound"


class TwilioStop(BaseModel):
    pass


class TwilioIgnored(BaseModel):
    """``connected``, ``mark``, ``dtmf``…: nothing to do with the audio."""

    event: str


TwilioMessage = TwilioStart | TwilioMedia | TwilioStop | TwilioIgnored


def is_twilio(message: dict[str, Any]) -> bool:
    return "event" in message and "type" not in message


def parse_twilio(message: dict[str, Any]) -> TwilioMessage:
    """One decoded JSON message of a Twilio media stream."""
    event = message.get("event")
    if event == "start":
        try:
            info = StartInfo.model_validate(message.get("start") or {})
        except ValidationError as exc:
            raise TelephonyError(f"invalid start message: {exc.errors()[0]['msg']}") from exc
        fmt = info.media_format
        if fmt.encoding != "audio/x-mulaw" or fmt.sample_rate != MULAW_SAMPLE_RATE:
            raise TelephonyError(
                f"unsupported media format {fmt.encoding} at {fmt.sample_rate} Hz; "
                "expected audio/x-mulaw at 8000 Hz"
            )
        if fmt.channels != 1:
            raise TelephonyError(f"{fmt.channels} channels given; Twilio streams are mono")
        if set(info.tracks) == set(TRACKS):
            return TwilioStart(speakers=_track_speakers(info), stream_sid=info.stream_sid)
        speaker = info.custom_parameters.get("speaker", "customer")
        if speaker not in SPEAKERS:
            raise TelephonyError(f"unknown speaker {speaker!r}; use rep, customer or unknown")
        return TwilioStart(speakers=[SPEAKERS[speaker]], stream_sid=info.stream_sid)
    if event == "media":
        media = message.get("media")
        payload = media.get("payload") if isinstance(media, dict) else None
        if not isinstance(payload, str):
            raise TelephonyError("media message without a base64 payload")
        if len(payload) > MAX_PAYLOAD_BYTES * 4 // 3 + 4:
            raise TelephonyError("media payload is too large for one frame")
        try:
            raw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TelephonyError("media payload is not valid base64") from exc
        if not raw:
            raise TelephonyError("empty media payload")
        track = media.get("track", "inbound") if isinstance(media, dict) else "inbound"
        if track not in TRACKS:
            raise TelephonyError(f"unknown track {track!r}; Twilio sends inbound or outbound")
        return TwilioMedia(pcm=mulaw_to_pcm16(raw), track=track)
    if event == "stop":
        return TwilioStop()
    if isinstance(event, str):
        return TwilioIgnored(event=event)
    raise TelephonyError("message without an event name")


def _track_speakers(info: StartInfo) -> list[Speaker]:
    rep_track = info.custom_parameters.get("rep_track", DEFAULT_REP_TRACK)
    if rep_track not in TRACKS:
        raise TelephonyError(f"unknown rep_track {rep_track!r}; use inbound or outbound")
    return ["rep" if track == rep_track else "customer" for track in TRACKS]


class TrackInterleaver:
    """The two tracks of a both-tracks stream as stereo 16-bit PCM: channel 0 inbound,
    channel 1 outbound. Audio is released once both tracks have it, so the channels stay
    aligned however Twilio interleaves the messages."""

    def __init__(self) -> None:
        self._pending = {track: np.zeros(0, "<i2") for track in TRACKS}

    def push(self, track: str, pcm: bytes) -> bytes:
        """Add one track's samples; returns the stereo frames now complete (maybe none)."""
        self._pending[track] = np.concatenate([self._pending[track], np.frombuffer(pcm, "<i2")])
        inbound, outbound = (self._pending[t] for t in TRACKS)
        ahead = abs(len(inbound) - len(outbound))
        if ahead > MAX_TRACK_SKEW_SAMPLES:
            short = "inbound" if len(inbound) < len(outbound) else "outbound"
            self._pending[short] = np.concatenate([self._pending[short], np.zeros(ahead, "<i2")])
        return self._release(min(len(p) for p in self._pending.values()))

    def flush(self) -> bytes:
        """What one track sent beyond the other, paired with silence (end of stream)."""
        longest = max(len(p) for p in self._pending.values())
        for track, pending in self._pending.items():
            self._pending[track] = np.concatenate(
                [pending, np.zeros(longest - len(pending), "<i2")]
            )
        return self._release(longest)

    def _release(self, count: int) -> bytes:
        if count == 0:
            return b""
        stereo = np.stack([self._pending[t][:count] for t in TRACKS], axis=1)
        for track in TRACKS:
            self._pending[track] = self._pending[track][count:]
        return stereo.astype("<i2").tobytes()
