"""The engine carries a call's finals into the prompt of its next final."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from speech.config import DecodeConfig, SpeechConfig
from speech.engine import SpeechEngine
from speech.transcriber import Recognition, RecognitionRequest, Transcriber


class RecordingTranscriber(Transcriber):
    """Numbers its answers and keeps every request: what the real model hears cannot be
    chosen, but what it is asked can be checked."""

    name = "recording"

    def __init__(self) -> None:
        self.requests: list[RecognitionRequest] = []

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        self.requests.append(request)
        return Recognition(
            text=f"这是第{len(self.requests)}句话。", avg_logprob=-0.2, no_speech_prob=0.01
        )


def test_second_final_of_a_call_is_prompted_with_the_first(fixture_audio: Path) -> None:
    fake = RecordingTranscriber()
    cfg = SpeechConfig(decode=DecodeConfig(context_chars=100))
    engine = SpeechEngine(cfg, transcriber=fake)
    transcript = engine.transcribe_file(fixture_audio / "fx_short.stereo.wav", hotwords=["钱总"])
    # One rep turn, one customer turn, one rep turn: finals of both parties feed the prompt.
    assert [s.speaker for s in transcript.segments][:2] == ["rep", "customer"]
    assert len(fake.requests) >= 2
    first, second = fake.requests[0].prompt, fake.requests[1].prompt
    assert "钱总" in first and "这是第1句话" not in first
    assert second.startswith(first) and second.endswith("这是第1句话。")
    assert fake.requests[-1].prompt.endswith(f"这是第{len(fake.requests) - 1}句话。")


def test_the_calls_names_are_in_the_prompt_after_its_hotwords(fixture_audio: Path) -> None:
    from speech.correction import call_terms

    fake = RecordingTranscriber()
    engine = SpeechEngine(SpeechConfig(), transcriber=fake)
    engine.transcribe_file(
        fixture_audio / "fx_short.stereo.wav",
        hotwords=["纷享销客"],
        terms=call_terms(people=["董事长郭总"], customers=["北方鲜达冷链"], products=["温控平台"]),
    )
    assert fake.requests
    for request in fake.requests:  # partials' and finals' prompts alike
        assert request.prompt.startswith("可能提到：纷享销客、董事长郭总、北方鲜达冷链、温控平台。")
