"""Plain records that cross the speech library's boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

Speaker = Literal["rep", "customer", "unknown"]


_OPTIONAL_KEYS = ("speaker_source", "speaker_confidence", "raw_text")


class Segment(BaseModel):
    """One stretch of speech by one party; times in seconds from the start of the call."""

    model_config = ConfigDict(frozen=True)

    id: str
    start: float
    end: float
    speaker: Speaker
    text: str
    # Set only when the speaker was inferred from the voice and words of a mono recording
    # (speech/diarize_labels.py), not read from a channel; CONTRACT version 2.
    speaker_source: Literal["channel", "inferred"] | None = None
    speaker_confidence: float | None = None
    # What the recogniser heard when correction (speech/correction/) changed the text, kept
    # for audit; left out of the JSON when nothing changed.
    raw_text: str | None = None

    @model_serializer(mode="wrap")
    def _without_unset_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        """The CONTRACT's optional keys appear only when they say something, so a segment
        read from a channel and left uncorrected keeps its original shape."""
        data: dict[str, object] = handler(self)
        for key in _OPTIONAL_KEYS:
            if key in data and data[key] is None:
                del data[key]
        return data

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
