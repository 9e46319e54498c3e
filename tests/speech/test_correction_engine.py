"""Correction inside the speech engine: finals carry corrected text and the raw words."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speech.config import SpeechConfig
from speech.correction import call_terms
from speech.engine import SpeechEngine
from speech.transcriber import Recognition, RecognitionRequest, Transcriber
from speech.types import Segment

HEARD = "你好，我是云番软接的小王，之前也看过分享销课的系统"


class RecordedTranscriber(Transcriber):
    """Answers every utterance with words Whisper base wrote on a real call: which words
    the real model mishears cannot be chosen, so the recogniser's answer is recorded."""

    name = "recorded"

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        return Recognition(text=HEARD, avg_logprob=-0.2, no_speech_prob=0.01)


def test_finals_of_a_file_carry_corrected_text_and_raw_text(fixture_audio: Path) -> None:
    engine = SpeechEngine(SpeechConfig(), transcriber=RecordedTranscriber())
    transcript = engine.transcribe_file(
        fixture_audio / "fx_short.stereo.wav",
        terms=call_terms(customers=["云帆软件"]),
        hotwords=["纷享销客"],
    )
    assert transcript.segments
    for segment in transcript.segments:
        assert segment.text == "你好，我是云帆软件的小王，之前也看过纷享销客的系统"
        assert segment.raw_text == HEARD
        assert segment.model_dump()["raw_text"] == HEARD


def test_partials_are_corrected_cheaply_and_finals_fully(fixture_audio: Path) -> None:
    from speech.audio import SAMPLE_RATE, PcmFormat, decode_file, to_pcm_s16le
    from speech.types import FinalSegment, PartialSegment

    engine = SpeechEngine(SpeechConfig(), transcriber=RecordedTranscriber())
    audio = decode_file(fixture_audio / "fx_short.stereo.wav")
    call = engine.new_call(
        PcmFormat(SAMPLE_RATE, audio.channels),
        terms=call_terms(customers=["云帆软件"]),
        hotwords=["纷享销客"],
    )
    pcm = to_pcm_s16le(audio.samples)
    step = SAMPLE_RATE // 10 * 2 * audio.channels
    events = [e for at in range(0, len(pcm), step) for e in call.feed(pcm[at : at + step])]
    events += call.finish()
    partials = [e.segment for e in events if isinstance(e, PartialSegment) and e.segment.text]
    finals = [e.segment for e in events if isinstance(e, FinalSegment)]
    assert partials and finals
    # 销课 sounds exactly like 销客: fixed at once; 软接 is only near 软件: finals only.
    assert all("纷享销客" in p.text and "云番软接" in p.text for p in partials)
    assert all("云帆软件" in f.text for f in finals)


def test_a_segment_without_changes_keeps_its_json_shape() -> None:
    segment = Segment(id="seg-0001", start=0.0, end=1.0, speaker="rep", text="好的")
    assert "raw_text" not in segment.model_dump()
    assert "raw_text" not in segment.model_dump_json()


def test_a_contact_also_sent_as_a_hotword_is_still_corrected_as_a_person() -> None:
    engine = SpeechEngine(SpeechConfig(), transcriber=RecordedTranscriber())
    contact = call_terms(people=["董事长郭总"])
    heard = "不过德国总拍板，他是董事长"
    # 德国 is a word; only a contact addressed 郭总 makes it 德郭总.
    assert engine.corrector(contact).correct(heard).text == "不过德郭总拍板，他是董事长"
    corrector = engine.corrector(contact, hotwords=["董事长郭总"])
    assert corrector is not None
    assert corrector.correct(heard).text == "不过德郭总拍板，他是董事长"
