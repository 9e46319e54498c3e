"""Audio as telephony platforms send it: Twilio-Media-Streams-style JSON with base64 μ-law.

Twilio (and platforms that copy its protocol) stream ``{"event": "media", "media":
{"payload": "<base64 G.711 μ-law, 8 kHz, mono>"}}`` messages between a ``start`` and a
``stop`` message. We turn each payload into the same little-endian 16-bit PCM the native
protocol carries, so one streaming path serves both.
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


class TwilioStart(BaseModel):
    speaker: Speaker
    stream_sid: str | None


class TwilioMedia(BaseModel):
    pcm: bytes


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
        speaker = info.custom_parameters.get("speaker", "customer")
        if speaker not in SPEAKERS:
            raise TelephonyError(f"unknown speaker {speaker!r}; use rep, customer or unknown")
        return TwilioStart(speaker=SPEAKERS[speaker], stream_sid=info.stream_sid)
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
        return TwilioMedia(pcm=mulaw_to_pcm16(raw))
    if event == "stop":
        return TwilioStop()
    if isinstance(event, str):
        return TwilioIgnored(event=event)
    raise TelephonyError("message without an event name")
