"""The one vocabulary of events a call produces, as the side panel receives them.

Each event carries ``type``, ``call_id``, ``seq`` (monotonic per call, so a reconnecting
client can resume after the last one it saw) and ``ts`` (wall-clock seconds).
"""

from __future__ import annotations

import itertools
import time
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from speech.types import FinalSegment, PartialSegment, Segment, SpeechEvent


class Event(BaseModel):
    type: str
    call_id: str
    seq: int
    ts: float


class TranscriptPartial(Event):
    """Provisional text of a segment being spoken; empty text withdraws it."""

    type: Literal["transcript.partial"] = "transcript.partial"
    segment: Segment

    def __str__(self) -> str:
        return f"… {self.segment}"


class TranscriptFinal(Event):
    """Committed text of a segment; replaces every partial with the same segment id."""

    type: Literal["transcript.final"] = "transcript.final"
    segment: Segment

    def __str__(self) -> str:
        return f"✔ {self.segment}"


class ErrorEvent(Event):
    """Something went wrong in the call; ``fatal`` says whether the call goes on."""

    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        return f"! {self.code}: {self.message}"


AnyEvent = Annotated[TranscriptPartial | TranscriptFinal | ErrorEvent, Field(discriminator="type")]


class EventStamper:
    """Gives one call's events their call id, sequence numbers and timestamps."""

    def __init__(self, call_id: str, first_seq: int = 1) -> None:
        self.call_id = call_id
        self._seq = itertools.count(first_seq)

    def _header(self) -> dict[str, str | int | float]:
        return {"call_id": self.call_id, "seq": next(self._seq), "ts": time.time()}

    def transcript(self, event: SpeechEvent) -> TranscriptPartial | TranscriptFinal:
        if isinstance(event, FinalSegment):
            return TranscriptFinal(segment=event.segment, **self._header())  # type: ignore[arg-type]
        assert isinstance(event, PartialSegment)
        return TranscriptPartial(segment=event.segment, **self._header())  # type: ignore[arg-type]

    def error(self, code: str, message: str, *, fatal: bool = False) -> ErrorEvent:
        return ErrorEvent(code=code, message=message, fatal=fatal, **self._header())  # type: ignore[arg-type]
