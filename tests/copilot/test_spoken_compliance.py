"""The scanner on what the rep says: real recognised speech, real rule pack."""

from __future__ import annotations

from pathlib import Path

from compliance import Scanner
from copilot.spoken_compliance import scan_segment, scan_transcript
from speech.engine import SpeechEngine
from speech.types import Segment


def segment(speaker: str, text: str, seg_id: str = "seg-0001") -> Segment:
    return Segment(id=seg_id, start=0.0, end=2.0, speaker=speaker, text=text)  # type: ignore[arg-type]


def test_rep_promise_is_flagged_with_its_segment_as_evidence() -> None:
    [flag] = scan_segment(
        Scanner(), segment("rep", "这样，我给您打个五折，您今天就能定。", "seg-0007")
    )
    assert flag.category == "unauthorized_discount"
    assert flag.evidence.utterance_id == "seg-0007"
    assert flag.evidence.text == "这样，我给您打个五折，您今天就能定。"


def test_customer_words_and_clean_rep_words_are_not_flagged() -> None:
    scanner = Scanner()
    assert scan_segment(scanner, segment("customer", "你们能保证不延期吗？")) == []
    assert scan_segment(scanner, segment("rep", "我们会在合同里写明里程碑和违约责任。")) == []
    assert scan_segment(scanner, segment("rep", "")) == []


def test_promise_in_the_demo_call_is_caught_from_speech(speech_engine: SpeechEngine) -> None:
    demo = Path(__file__).resolve().parents[2] / "samples" / "demo_call.stereo.wav"
    transcript = speech_engine.transcribe_file(demo)
    flags = scan_transcript(Scanner(), transcript.segments)
    assert "guarantee" in {f.category for f in flags}
    assert all(f.evidence.utterance_id for f in flags)
    rep_ids = {s.id for s in transcript.segments if s.speaker == "rep"}
    assert {f.evidence.utterance_id for f in flags} <= rep_ids


def test_misheard_discounts_are_written_back_before_scanning() -> None:
    from copilot.spoken_compliance import repair_misheard_discounts

    assert repair_misheard_discounts("这样，我给您打个舞者。") == "这样，我给您打个五折。"
    assert repair_misheard_discounts("我给您打七者") == "我给您打七折"
    for unchanged in ("舞者表演很好", "我打算下周来", "打个折扣", "九五折走审批"):
        assert repair_misheard_discounts(unchanged) == unchanged
    segment = Segment(id="s1", start=0, end=2, speaker="rep", text="我给您打个舞者，今天就能定。")
    (flag,) = scan_segment(Scanner(), segment)
    assert flag.category == "unauthorized_discount"
    assert flag.evidence.text == segment.text
