"""The scanner on what the rep says: real recognised speech, real rule pack."""

from __future__ import annotations

from pathlib import Path

from compliance import Scanner
from copilot.spoken_compliance import rescan_segment, scan_segment, scan_transcript
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


def inferred(speaker: str, text: str) -> Segment:
    return Segment(
        id="s1",
        start=0,
        end=2,
        speaker=speaker,  # type: ignore[arg-type]
        text=text,
        speaker_source="inferred",
        speaker_confidence=0.8,
    )


def test_a_sellers_words_given_to_the_customer_on_a_mono_recording_are_scanned() -> None:
    """The voice was put on the wrong side; the words say who spoke (dev call dv14, mono)."""
    scanner = Scanner()
    said = "事成之后返点给您个人，按合同额的百分之三，我们私下转给您。"
    assert {f.category for f in scan_segment(scanner, inferred("customer", said))} == {"kickback"}
    offer = "周末前签的话按六折给你，就是七万六千八。"
    assert {f.category for f in scan_segment(scanner, inferred("customer", offer))} == {
        "unauthorized_discount"
    }


def test_a_sellers_words_on_a_mono_recording_whose_voices_were_not_told_apart_are_scanned() -> None:
    """Every segment ``unknown`` (dev call dv24, mono): the rep's offer is still checked,
    a customer's question is not flagged."""
    scanner = Scanner()
    offer = segment("unknown", "直接打我个人微信上，我这边先帮您把实施团队排上。")
    assert {f.category for f in scan_segment(scanner, offer)} == {"off_channel_payment"}
    assert scan_segment(scanner, segment("unknown", "你们能保证不延期吗？")) == []
    # Warning the customer off a rival (dev call dv34, telephone mono).
    warning = "中控技术啊，马部长我跟你说句实话，他们公司快倒闭了。您千万别跟他们签。"
    assert {f.category for f in scan_segment(scanner, segment("unknown", warning))} == {
        "disparagement"
    }
    assert scan_segment(scanner, segment("unknown", "你们千万别延期啊，我们等着用。")) == []


def test_customer_words_on_a_mono_recording_stay_unflagged() -> None:
    scanner = Scanner()
    # No seller's words: a customer asking, or weighing a price.
    assert scan_segment(scanner, inferred("customer", "你们能保证不延期吗？")) == []
    assert scan_segment(scanner, inferred("customer", "你给打个五折我就签。")) == []
    # The same seller's words on a channel of a stereo call are the customer's: never flagged.
    said = "事成之后返点给您个人，我们私下转给您。"
    assert scan_segment(scanner, segment("customer", said)) == []


def test_a_segment_scanned_again_keeps_what_still_stands() -> None:
    scanner = Scanner()
    [discount] = scan_segment(scanner, segment("rep", "我给您打个五折。"))
    [guarantee] = scan_segment(scanner, segment("rep", "我们保证下个月一定上线。"))
    # Its words changed: the discount moved within the text and still stands, the
    # guarantee is gone, a kickback is new.
    again = segment("rep", "这样吧，我给您打个五折，回扣另外给您个人。")
    rescan = rescan_segment(scanner, again, [discount, guarantee])
    assert rescan.kept == [discount]
    assert rescan.gone == [guarantee]
    assert [flag.category for flag in rescan.new] == ["kickback"]
    # Given to the customer, nothing the rep said stands.
    assert rescan_segment(scanner, segment("customer", "我给您打个五折。"), [discount]) == (
        [],
        [],
        [discount],
    )
