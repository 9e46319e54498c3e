"""The hearing benches score stored recognition again without the audio: a kept transcript
reads back as it was written, and ``--recorrect`` corrects what the recogniser heard with
today's corrector, keeping the heard text beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.heard_calls import read_transcript, recorrected, speech_stack, stored_stack
from bench.heard_sentences import DATA, heard_texts, read_rows
from speech.correction import Corrector
from speech.types import Segment, Transcript


def _segment(number: int, text: str, raw_text: str | None = None) -> Segment:
    return Segment(
        id=f"seg-{number}",
        start=float(number),
        end=number + 0.9,
        speaker="rep",
        text=text,
        raw_text=raw_text,
    )


def test_a_kept_transcript_is_corrected_again_from_what_was_heard(tmp_path: Path) -> None:
    stored = Transcript(
        duration=3.0,
        segments=[
            # Heard 打七德 and stored uncorrected (an older corrector): corrected now.
            _segment(0, "这个价格我给您打七德"),
            # Corrected when heard; the heard words are what is corrected again.
            _segment(1, "合同下周签", raw_text="合同下周签"),
            _segment(2, "好的谢谢"),
        ],
    )
    (tmp_path / "dv01.phone.json").write_text(stored.model_dump_json(), encoding="utf-8")

    kept = read_transcript(tmp_path, "dv01", "phone")
    assert kept == stored
    again = recorrected(kept, Corrector())

    first, second, third = again.segments
    assert (first.text, first.raw_text) == ("这个价格我给您打七折", "这个价格我给您打七德")
    assert (second.text, second.raw_text) == ("合同下周签", None)
    assert (third.text, third.raw_text) == ("好的谢谢", None)
    assert [s.id for s in again.segments] == ["seg-0", "seg-1", "seg-2"]
    # Without correction: what the recogniser heard.
    heard = recorrected(again, None)
    assert [s.text for s in heard.segments] == ["这个价格我给您打七德", "合同下周签", "好的谢谢"]
    assert [s.raw_text for s in heard.segments] == [None, None, None]


def test_a_hearing_figure_says_what_recognised_the_audio(tmp_path: Path) -> None:
    stack = speech_stack()
    assert stack.startswith("recognised with faster-whisper ")
    assert "ctranslate2 " in stack and "onnxruntime " in stack
    assert stored_stack(tmp_path).endswith("versions unknown")
    (tmp_path / "speech_stack.txt").write_text(stack + "\n", encoding="utf-8")
    assert stored_stack(tmp_path) == f"scored again from {tmp_path}, {stack}"


def test_a_missing_stored_transcript_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="--keep"):
        read_transcript(tmp_path, "dv02", "mono")


def test_stored_sentences_are_corrected_again_from_their_raw_text() -> None:
    rows = read_rows("budgets")
    seen: list[str] = []

    def correct(text: str) -> str:
        seen.append(text)
        return "改过的" + text

    recognised = json.loads((DATA / "budgets.phone.json").read_text(encoding="utf-8"))
    again = heard_texts("budgets", "phone", rows, correct)
    assert seen == [heard["raw"] for heard in recognised.values()]
    assert again == {key: "改过的" + heard["raw"] for key, heard in recognised.items()}
    # Without a corrector: the text as it was corrected when recognised.
    assert heard_texts("budgets", "phone", rows) == {
        key: heard["text"] for key, heard in recognised.items()
    }
