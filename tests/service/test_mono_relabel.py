"""The end of a live mono call: every segment labelled with the whole call's evidence, and
what depends on who spoke (insights, spoken flags, checklist, summary) redone to match."""

from __future__ import annotations

import asyncio

import httpx

from copilot.client import replay_call
from copilot.events import ComplianceFlagEvent, EventStamper, InsightEvent, TranscriptRelabelled
from copilot.service.pipeline import CallPipeline, Engines
from speech.audio import decode_file
from speech.types import Segment
from tests.conftest import load_timeline
from tests.copilot.test_mono_roles import truth_at
from tests.service.conftest import DEVSET_AUDIO, Service

GREETING = "王总您好，我是云端软件的小王。"
BUDGET = "我们今年预算大概六十万，要财务总监签字。"
PROMISE = "上线绝对不会延期，我保证。"
DISCOUNT = "这样，我给您打七折，今天就能定。"


def said(n: int, speaker: str, text: str, confidence: float = 0.6) -> Segment:
    return Segment(
        id=f"seg-{n:04d}",
        start=10.0 * n,
        end=10.0 * n + 4,
        speaker=speaker,  # type: ignore[arg-type]
        text=text,
        speaker_source="inferred",
        speaker_confidence=confidence,
    )


def live_call(engines: Engines, segments: list[Segment]) -> CallPipeline:
    pipeline = CallPipeline(engines=engines, stamper=EventStamper("mono"))
    for segment in segments:
        pipeline.on_final(segment)
    return pipeline


def test_revised_speakers_move_insights_and_flags_to_the_right_side(engines: Engines) -> None:
    pipeline = live_call(
        engines,
        [
            said(1, "rep", GREETING, 0.5),
            said(2, "rep", BUDGET),  # the customer's words, heard early as the rep's
            said(3, "customer", PROMISE),  # the rep's promise, given to the customer
            said(4, "rep", PROMISE),  # flagged live; the customer only repeated it
            said(5, "rep", DISCOUNT),  # flagged live, and a seller's words either way
        ],
    )
    assert pipeline.call_insights().budget is None
    live_flags = {f.evidence.utterance_id: f.flag_id for f in pipeline.flags}
    assert set(live_flags) == {"seg-0004", "seg-0005"}
    last_seq = pipeline.stamper.last_seq

    revised = [
        said(1, "rep", GREETING, 0.9),
        said(2, "customer", BUDGET, 0.9),
        said(3, "rep", PROMISE, 0.9),
        said(4, "customer", PROMISE, 0.8),
        said(5, "customer", DISCOUNT, 0.7),
    ]
    result = pipeline.relabel(revised)

    assert [s.id for s in result.segments] == [s.id for s in revised]
    assert [s.speaker for s in pipeline.segments] == [s.speaker for s in revised]
    budget = pipeline.call_insights().budget
    assert budget is not None and budget.amount_min <= 600_000 <= budget.amount_max
    assert result.insights["seg-0002"].budget is not None
    assert "seg-0001" not in result.insights, "only segments whose speaker changed are redone"

    flags = {f.evidence.utterance_id: f for f in pipeline.flags}
    assert set(flags) == {"seg-0003", "seg-0005"}
    assert flags["seg-0003"].category == "guarantee"
    assert flags["seg-0005"].flag_id == live_flags["seg-0005"], "a flag that stands keeps its id"
    assert result.withdrawn == [live_flags["seg-0004"]]
    assert [f.evidence.utterance_id for f in result.flags] == ["seg-0003"]

    first, *rest = result.events
    assert isinstance(first, TranscriptRelabelled)
    assert first.segments == result.segments and first.withdrawn_flags == result.withdrawn
    insight_events = {e.segment_id: e for e in rest if isinstance(e, InsightEvent)}
    # Each moved segment whose insights were or are not empty says what it gives now.
    assert "seg-0002" in insight_events and "seg-0004" not in insight_events
    assert all(e.insights == result.insights[sid] for sid, e in insight_events.items())
    assert insight_events["seg-0002"].call_insights.budget is not None
    flag_events = [e for e in rest if isinstance(e, ComplianceFlagEvent)]
    assert [e.flag.flag_id for e in flag_events] == [flags["seg-0003"].flag_id]
    assert [e.seq for e in result.events] == list(range(last_seq + 1, last_seq + 1 + len(rest) + 1))

    summary = pipeline.summary("mono", 60.0)
    assert {f.evidence.utterance_id for f in summary.compliance_flags} == {"seg-0003", "seg-0005"}
    assert summary.budget is not None

    again = pipeline.relabel(revised)
    assert again.is_empty() and again.events == []


def test_labels_that_did_not_change_change_nothing(engines: Engines) -> None:
    segments = [said(1, "rep", GREETING, 0.9), said(2, "customer", BUDGET, 0.9)]
    pipeline = live_call(engines, segments)
    seq = pipeline.stamper.last_seq
    assert pipeline.relabel(list(segments)).is_empty()
    assert pipeline.stamper.last_seq == seq


def test_a_live_mono_call_ends_with_every_segment_labelled_from_the_whole_call(
    service: Service,
) -> None:
    audio = decode_file(DEVSET_AUDIO / "dc01.mono.wav")
    result = asyncio.run(
        replay_call(service.url, service.rep_key, audio, call_id="dc01-mono", speed=4.0)
    )
    finals = {
        e["segment"]["id"]: e["segment"] for e in result.events if e["type"] == "transcript.final"
    }
    relabelled = [e for e in result.events if e["type"] == "transcript.relabelled"]
    assert result.summary is not None
    transcript = result.summary["transcript"]
    timeline = load_timeline(DEVSET_AUDIO / "dc01.timeline.json")
    segments = [Segment.model_validate(s) for s in transcript]
    assert [s.speaker for s in segments] == [truth_at(timeline, s) for s in segments]
    assert all(s.speaker_source == "inferred" for s in segments)

    # What the summary says is what the events told the side panel: each segment as its
    # final said it, or as the relabelling revised it.
    revised = {s["id"]: s for e in relabelled for s in e["segments"]}
    assert revised, "the first segment is labelled before the voices are known; the end revises it"
    told = {sid: revised.get(sid, segment) for sid, segment in finals.items()}
    assert {s["id"]: s for s in transcript} == told
    assert result.events[-1]["type"] == "call.summary"

    headers = {"Authorization": f"Bearer {service.rep_key}"}
    with httpx.Client(base_url=service.url, headers=headers) as http:
        stored = http.get("/v1/calls/dc01-mono/segments").json()
        assert [(s["id"], s["speaker"], s["speaker_confidence"]) for s in stored] == [
            (s["id"], s["speaker"], s["speaker_confidence"]) for s in transcript
        ]
        flags = [e["flag"]["flag_id"] for e in result.events if e["type"] == "compliance.flag"]
        assert [f["id"] for f in http.get("/v1/flags").json()] == flags
        assert {f["category"] for f in result.summary["compliance_flags"]} == {"absolute_claim"}
