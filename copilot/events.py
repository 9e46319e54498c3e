"""The one vocabulary of events a call produces, as the side panel receives them.

Each event carries ``type``, ``call_id``, ``seq`` (monotonic per call, so a reconnecting
client can resume after the last one it saw) and ``ts`` (wall-clock seconds).
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from copilot.insights.models import Insights
from copilot.spoken_compliance import SpokenFlag
from retrieval.suggest import SuggestResult
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


class TranscriptRelabelled(Event):
    """Speakers revised at the end of a mono call, with the whole call's evidence: each
    segment replaces the final with its id; the flags named in ``withdrawn_flags`` no longer
    stand (their segment turned out to be the customer's). Flags, insights and checklist
    items the new labels bring follow as their own events."""

    type: Literal["transcript.relabelled"] = "transcript.relabelled"
    segments: list[Segment]
    withdrawn_flags: list[str] = Field(default_factory=list)

    def __str__(self) -> str:
        return "↺ " + "; ".join(str(s) for s in self.segments)


class ErrorEvent(Event):
    """Something went wrong in the call; ``fatal`` says whether the call goes on."""

    type: Literal["error"] = "error"
    code: str
    message: str
    fatal: bool = False

    def __str__(self) -> str:
        return f"! {self.code}: {self.message}"


class InsightEvent(Event):
    """What one final customer segment revealed, and the call's insights merged so far."""

    type: Literal["insight"] = "insight"
    segment_id: str
    insights: Insights
    call_insights: Insights

    def __str__(self) -> str:
        return f"◆ {self.segment_id}\n{self.insights}"


class SuggestionEvent(Event):
    """Answers for an objection; ``provisional`` when found in a partial transcript, before
    the customer finished the sentence."""

    type: Literal["suggestion"] = "suggestion"
    segment_id: str
    provisional: bool = False
    result: SuggestResult

    def __str__(self) -> str:
        titles = " | ".join(s.title for s in self.result.suggestions)
        early = "（提前）" if self.provisional else ""
        return f"💡{early} [{self.result.objection}] {titles}"


class FlagPayload(SpokenFlag):
    flag_id: str | None = None


class ComplianceFlagEvent(Event):
    """Something the rep said that breaks a compliance rule."""

    type: Literal["compliance.flag"] = "compliance.flag"
    segment_id: str
    flag: FlagPayload

    def __str__(self) -> str:
        return f"⚠ {self.flag}"


class ScorecardItemEvent(Event):
    """A checklist item of the org's scorecard the rep just said (the side panel ticks it);
    sent once per item and call, for the first final rep segment that says it."""

    type: Literal["scorecard.item"] = "scorecard.item"
    segment_id: str
    key: str
    label: str
    must_say: bool
    # The segment's text, and whether its words or only their sounds matched.
    evidence: str
    by: Literal["words", "sound"]

    def __str__(self) -> str:
        return f"☑ {self.label}: {self.evidence}"


class CallStatusEvent(Event):
    type: Literal["call.status"] = "call.status"
    status: Literal["live", "ended", "interrupted", "failed"]
    asr_lag_s: float = 0.0
    # Why the call failed (``failed`` only).
    reason: str | None = None

    def __str__(self) -> str:
        return f"· call {self.status} (lag {self.asr_lag_s:.1f} s)"


class CallSummaryEvent(Event):
    type: Literal["call.summary"] = "call.summary"
    # CONTRACT CallSummary, kept as JSON here so events stay below the analysis layer.
    summary: dict[str, object]

    def __str__(self) -> str:
        return f"■ summary\n{self.summary.get('summary_text', '')}"


AnyEvent = Annotated[
    TranscriptPartial
    | TranscriptFinal
    | TranscriptRelabelled
    | InsightEvent
    | SuggestionEvent
    | ComplianceFlagEvent
    | ScorecardItemEvent
    | CallStatusEvent
    | CallSummaryEvent
    | ErrorEvent,
    Field(discriminator="type"),
]


class EventStamper:
    """Gives one call's events their call id, sequence numbers and timestamps."""

    def __init__(self, call_id: str, first_seq: int = 1) -> None:
        self.call_id = call_id
        self._seq = itertools.count(first_seq)
        self._lock = threading.Lock()
        self.last_seq = first_seq - 1

    def _header(self) -> dict[str, str | int | float]:
        with self._lock:
            self.last_seq = next(self._seq)
            return {"call_id": self.call_id, "seq": self.last_seq, "ts": time.time()}

    def header(self) -> dict[str, str | int | float]:
        """``call_id``, the next ``seq`` and ``ts``, for building any event."""
        return self._header()

    def rewind(self, last_seq: int) -> None:
        """Number the next event ``last_seq + 1`` again: the events stamped since were
        dropped (an analysis attempt that failed and is retried), so ``seq`` has no gap."""
        with self._lock:
            self._seq = itertools.count(last_seq + 1)
            self.last_seq = last_seq

    def transcript(self, event: SpeechEvent) -> TranscriptPartial | TranscriptFinal:
        if isinstance(event, FinalSegment):
            return TranscriptFinal(segment=event.segment, **self._header())  # type: ignore[arg-type]
        assert isinstance(event, PartialSegment)
        return TranscriptPartial(segment=event.segment, **self._header())  # type: ignore[arg-type]

    def final(self, segment: Segment) -> TranscriptFinal:
        return TranscriptFinal(segment=segment, **self._header())  # type: ignore[arg-type]

    def error(self, code: str, message: str, *, fatal: bool = False) -> ErrorEvent:
        return ErrorEvent(code=code, message=message, fatal=fatal, **self._header())  # type: ignore[arg-type]
