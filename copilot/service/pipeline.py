"""What happens to each transcript segment of a live call, after speech recognition.

A final segment goes through extraction → retrieval → compliance and becomes events for
the side panel. A partial segment of the customer gets an early objection check, so a
suggestion can appear before the customer finishes the sentence (real-time assist that
arrives late is ignored). Everything here is synchronous and fast (a few milliseconds): the
caller runs it on the worker thread that produced the segment.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from compliance import Scanner
from copilot.analysis import CallSummary, build_summary, segment_insights, summary_text
from copilot.events import (
    ComplianceFlagEvent,
    Event,
    EventStamper,
    FlagPayload,
    InsightEvent,
    ScorecardItemEvent,
    SuggestionEvent,
    TranscriptRelabelled,
)
from copilot.insights import InsightExtractor, Insights, merge_insights
from copilot.scorecards.matching import Line, LiveChecklist
from copilot.spoken_compliance import rescan_segment, scan_segment
from retrieval.feedback import FeedbackSignal
from retrieval.suggest import SuggestResult, cards_for
from speech.types import Segment


class Suggests(Protocol):
    def suggest(
        self,
        text: str,
        insights: Insights | None = None,
        *,
        k: int | None = None,
        feedback: FeedbackSignal | None = None,
    ) -> SuggestResult:
        """The best approved answers for what the customer just said."""


def suggestion_count(insights: Insights, k: int) -> int:
    """Cards to show: by the surest objection or vendor (a named competitor is sure; a
    learned model's objection carries its confidence); none when there is neither."""
    sure = max(
        [o.confidence for o in insights.objections] + [1.0 for _ in insights.competitors[:1]],
        default=0.0,
    )
    return cards_for(sure, k) if sure else 0


@dataclass(frozen=True)
class Engines:
    """The shared, thread-safe engines every call uses (one copy per process)."""

    extractor: InsightExtractor
    scanner: Scanner
    suggester: Suggests
    suggestions_k: int = 3
    # Writes the summary's text: the template, or an LLM when one is configured.
    write_summary: Callable[[CallSummary], str] = summary_text
    # Names recognition should spell right beyond the settings' (an org's products, vendors).
    hotwords: tuple[str, ...] = ()


@dataclass
class StageTimes:
    """Seconds spent on one final segment, per stage (for the benchmark and the lag)."""

    extract_s: float = 0.0
    suggest_s: float = 0.0
    scan_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.extract_s + self.suggest_s + self.scan_s


@dataclass
class FinalResult:
    segment: Segment
    events: list[Event]
    insights: Insights
    flags: list[FlagPayload]
    times: StageTimes


@dataclass
class RelabelResult:
    """What revised speakers changed: the segments with their new labels, the insights of
    those whose speaker changed (by segment id; empty when they now give none), the flags
    their words now raise and the ids of those that no longer stand."""

    segments: list[Segment]
    insights: dict[str, Insights]
    flags: list[FlagPayload]
    withdrawn: list[str]
    events: list[Event]

    def is_empty(self) -> bool:
        return not self.segments


@dataclass
class CallPipeline:
    """Per-call analysis state: the insights so far and the rep's flags."""

    engines: Engines
    stamper: EventStamper
    segments: list[Segment] = field(default_factory=list)
    records: list[Insights] = field(default_factory=list)
    flags: list[FlagPayload] = field(default_factory=list)
    # Objection types already answered early for a segment still being spoken.
    _early: dict[str, frozenset[str]] = field(default_factory=dict)
    # Reps' used/dismissed reactions of this call's organisation, for ranking.
    feedback: FeedbackSignal | None = None
    # Flags get their storage id here, so the event and the stored row share it.
    flag_id: Callable[[], str] = lambda: uuid.uuid4().hex
    # The org's scorecard items this call ticks as the rep says them (None: no checklist).
    checklist: LiveChecklist | None = None

    def restore(
        self, segments: list[Segment], records: list[Insights], flags: list[FlagPayload]
    ) -> None:
        """Continue a call after a restart with what was persisted."""
        self.segments = list(segments)
        self.records = list(records)
        self.flags = list(flags)
        if self.checklist is not None:  # items said before the restart are not sent again
            self.checklist.restore(Line(s.id, s.speaker, s.text) for s in segments)

    def on_partial(self, segment: Segment) -> list[Event]:
        """An early suggestion when a customer's unfinished sentence already carries an
        objection not answered yet for this segment."""
        if segment.speaker == "rep" or not segment.text:
            return []
        insights = self.engines.extractor.extract(
            segment.text, speaker="customer", utterance_id=segment.id
        )
        types = frozenset(o.type for o in insights.objections)
        if not types or types <= self._early.get(segment.id, frozenset()):
            return []
        self._early[segment.id] = types | self._early.get(segment.id, frozenset())
        k = suggestion_count(insights, self.engines.suggestions_k)
        if not k:
            return []
        result = self.engines.suggester.suggest(segment.text, insights, k=k, feedback=self.feedback)
        if not result.suggestions:
            return []
        return [
            SuggestionEvent(
                segment_id=segment.id,
                provisional=True,
                result=result,
                **self.stamper.header(),  # type: ignore[arg-type]
            )
        ]

    def on_final(self, segment: Segment) -> FinalResult:
        times = StageTimes()
        started = time.perf_counter()
        insights = segment_insights(self.engines.extractor, segment)
        times.extract_s = time.perf_counter() - started
        started = time.perf_counter()
        spoken = scan_segment(self.engines.scanner, segment)
        times.scan_s = time.perf_counter() - started
        self.segments.append(segment)
        self.records.append(insights)
        self._early.pop(segment.id, None)
        events: list[Event] = []
        if not insights.is_empty():
            events.append(
                InsightEvent(
                    segment_id=segment.id,
                    insights=insights,
                    call_insights=self.call_insights(),
                    **self.stamper.header(),  # type: ignore[arg-type]
                )
            )
        k = suggestion_count(insights, self.engines.suggestions_k)
        if k:
            started = time.perf_counter()
            result = self.engines.suggester.suggest(
                segment.text, insights, k=k, feedback=self.feedback
            )
            times.suggest_s = time.perf_counter() - started
            if result.suggestions:
                events.append(
                    SuggestionEvent(
                        segment_id=segment.id,
                        result=result,
                        **self.stamper.header(),  # type: ignore[arg-type]
                    )
                )
        flags = [FlagPayload(**flag.model_dump(), flag_id=self.flag_id()) for flag in spoken]
        self.flags.extend(flags)
        for flag in flags:
            events.append(
                ComplianceFlagEvent(
                    segment_id=segment.id,
                    flag=flag,
                    **self.stamper.header(),  # type: ignore[arg-type]
                )
            )
        # Last: ticking cannot fail, so a retried analysis never loses a tick's event.
        events += self._ticked(segment)
        return FinalResult(segment, events, insights, flags, times)

    def relabel(self, relabelled: list[Segment]) -> RelabelResult:
        """Take the call's segments with revised labels (a mono call at its end, labelled
        with the whole call's evidence) and redo what depends on who spoke: the insights
        and flags of each segment whose speaker changed, and the checklist items a segment
        now given to the rep says. Flags that still stand keep their ids."""
        by_id = {s.id: s for s in relabelled}
        changed = [
            by_id[s.id] for s in self.segments if s.id in by_id and _label(by_id[s.id]) != _label(s)
        ]
        if not changed:
            return RelabelResult([], {}, [], [], [])
        speakers = {s.id: s.speaker for s in self.segments}
        moved = [s for s in changed if s.speaker != speakers[s.id]]
        revised = {s.id: s for s in changed}
        self.segments = [revised.get(s.id, s) for s in self.segments]

        records = {_segment_of(r): r for r in self.records}
        before = {s.id: records.get(s.id, Insights()) for s in moved}
        insights = {s.id: segment_insights(self.engines.extractor, s) for s in moved}
        records.update(insights)
        self.records = [
            records[s.id] for s in self.segments if s.id in records and not records[s.id].is_empty()
        ]

        added: list[FlagPayload] = []
        withdrawn: list[str] = []
        standing: dict[str, list[FlagPayload]] = {}
        for flag in self.flags:
            standing.setdefault(flag.evidence.utterance_id or "", []).append(flag)
        for segment in moved:
            rescan = rescan_segment(self.engines.scanner, segment, standing.pop(segment.id, []))
            raised = [FlagPayload(**f.model_dump(), flag_id=self.flag_id()) for f in rescan.new]
            added += raised
            standing[segment.id] = [*rescan.kept, *raised]
            withdrawn += [f.flag_id for f in rescan.gone if f.flag_id]
        order = {s.id: n for n, s in enumerate(self.segments)}
        self.flags = [
            flag
            for sid in sorted(standing, key=lambda sid: order.get(sid, -1))
            for flag in standing[sid]
        ]

        events: list[Event] = [
            TranscriptRelabelled(
                segments=changed,
                withdrawn_flags=withdrawn,
                **self.stamper.header(),  # type: ignore[arg-type]
            )
        ]
        for segment in moved:
            if insights[segment.id].is_empty() and before[segment.id].is_empty():
                continue
            events.append(
                InsightEvent(
                    segment_id=segment.id,
                    insights=insights[segment.id],
                    call_insights=self.call_insights(),
                    **self.stamper.header(),  # type: ignore[arg-type]
                )
            )
        for flag in added:
            events.append(
                ComplianceFlagEvent(
                    segment_id=flag.evidence.utterance_id or "",
                    flag=flag,
                    **self.stamper.header(),  # type: ignore[arg-type]
                )
            )
        for segment in moved:
            events += self._ticked(segment)
        return RelabelResult(changed, insights, added, withdrawn, events)

    def _ticked(self, segment: Segment) -> list[Event]:
        if self.checklist is None:
            return []
        items = {item.key: item for item in self.checklist.checklist.items}
        return [
            ScorecardItemEvent(
                segment_id=segment.id,
                key=match.key,
                label=items[match.key].label,
                must_say=items[match.key].must_say,
                evidence=match.text,
                by=match.by,
                **self.stamper.header(),  # type: ignore[arg-type]
            )
            for match in self.checklist.hear(Line(segment.id, segment.speaker, segment.text))
        ]

    def call_insights(self) -> Insights:
        return merge_insights(self.records)

    def summary(
        self,
        call_id: str,
        duration_s: float,
        on_writer_error: Callable[[Exception], None] | None = None,
    ) -> CallSummary:
        return build_summary(
            call_id,
            self.segments,
            duration_s,
            self.call_insights(),
            self.flags,
            self.engines.write_summary,
            on_writer_error,
        )


def _label(segment: Segment) -> tuple[str, str | None, float | None]:
    return segment.speaker, segment.speaker_source, segment.speaker_confidence


def _segment_of(record: Insights) -> str | None:
    """The segment a record of one segment's insights came from, as its evidence says."""
    items = [
        record.budget,
        *record.decision_chain,
        *record.pain_points,
        *record.objections,
        *record.competitors,
        *record.commitments,
        *record.systems,
    ]
    return next((item.evidence.utterance_id for item in items if item is not None), None)
