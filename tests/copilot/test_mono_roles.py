"""Mono recordings get rep and customer: ``copilot analyze`` on a file, and a live stream."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from copilot.cli import app
from copilot.roles import TextRoleResolver
from speech.audio import SAMPLE_RATE, PcmFormat, decode_file, to_pcm_s16le
from speech.engine import SpeechEngine
from speech.types import FinalSegment, Segment
from tests.conftest import DEVSET, load_timeline

AUDIO = DEVSET / "audio"


def truth_at(timeline: list[dict[str, object]], segment: Segment) -> str:
    """The speaker of the timeline turn that overlaps the segment most."""

    def overlap(turn: dict[str, object]) -> float:
        start, end = float(turn["start"]), float(turn["end"])  # type: ignore[arg-type]
        return min(end, segment.end) - max(start, segment.start)

    return str(max(timeline, key=overlap)["speaker"])


def test_analyze_on_a_mono_call_names_the_rep_and_flags_the_reps_discount() -> None:
    result = CliRunner().invoke(app, ["analyze", str(AUDIO / "dc02.mono.wav"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    timeline = load_timeline(AUDIO / "dc02.timeline.json")
    segments = [Segment.model_validate(s) for s in summary["transcript"]]
    assert [s.speaker for s in segments] == [truth_at(timeline, s) for s in segments]
    assert all(
        s.speaker_source == "inferred" and (s.speaker_confidence or 0) > 0.6 for s in segments
    )
    # 「我给您打个五折」 is the rep's: the spoken compliance check runs on it.
    flags = summary["compliance_flags"]
    assert "unauthorized_discount" in {f["category"] for f in flags}
    by_id = {s.id: s for s in segments}
    assert all(by_id[f["evidence"]["utterance_id"]].speaker == "rep" for f in flags)


def test_a_live_mono_stream_labels_segments_once_the_voices_are_known(
    speech_engine: SpeechEngine,
) -> None:
    audio = decode_file(AUDIO / "dc01.mono.wav")
    call = speech_engine.new_call(PcmFormat(SAMPLE_RATE, 1), roles=TextRoleResolver())
    pcm = to_pcm_s16le(audio.samples)
    step = SAMPLE_RATE // 5 * 2
    events = [e for o in range(0, len(pcm), step) for e in call.feed(pcm[o : o + step])]
    finals = [e.segment for e in [*events, *call.finish()] if isinstance(e, FinalSegment)]
    timeline = load_timeline(AUDIO / "dc01.timeline.json")
    named = [s for s in finals if s.speaker != "unknown"]
    assert len(named) >= len(finals) - 1  # at most the first waits for evidence
    assert all(s.speaker == truth_at(timeline, s) for s in named)
