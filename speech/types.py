"""Plain records that cross the speech library's boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

Speaker = Literal["rep", "customer", "unknown"]


class Segment(BaseModel):
    """One stretch of speech by one party; times in seconds from the start of the call."""

    model_config = ConfigDict(frozen=True)

    id: str
    start: float
    end: float
    speaker: Speaker
    text: str

    def __str__(self) -> str:
        return f"[{self.start:7.2f}–{self.end:7.2f}] {self.speaker:>8}: {self.text}"


class Transcript(BaseModel):
    """A finished transcript: the CONTRACT shape of ``copilot transcribe --json``."""

    duration: float
    segments: list[Segment]


@dataclass(frozen=True)
class PartialSegment:
    """Provisional text of a segment still being spoken; a later one replaces it."""

    segment: Segment
    decode_s: float


@dataclass(frozen=True)
class FinalSegment:
    """Committed text of a segment; it never changes afterwards."""

    segment: Segment
    decode_s: float


SpeechEvent = PartialSegment | FinalSegment
