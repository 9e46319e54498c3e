"""The live path with the real model on committed audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, PcmFormat, decode_file, to_pcm_s16le
from speech.engine import SpeechEngine
from speech.normalize import character_error_rate
from speech.types import FinalSegment, PartialSegment, SpeechEvent
from tests.conftest import load_timeline


def stream(engine: SpeechEngine, path: Path, frame_ms: int = 100) -> list[SpeechEvent]:
    audio = decode_file(path)
    call = engine.new_call(PcmFormat(SAMPLE_RATE, audio.channels))
    pcm = to_pcm_s16le(audio.samples)
    step = SAMPLE_RATE * frame_ms // 1000 * 2 * audio.channels
    events: list[SpeechEvent] = []
    for offset in range(0, len(pcm), step):
        events += call.feed(pcm[offset : offset + step])
    return events + call.finish()


def test_stereo_call_streams_partials_then_finals_per_speaker(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    events = stream(speech_engine, fixture_audio / "fx_short.stereo.wav")
    finals = [e.segment for e in events if isinstance(e, FinalSegment)]
    partials = [e.segment for e in events if isinstance(e, PartialSegment)]
    timeline = load_timeline(fixture_audio / "fx_short.timeline.json")

    assert [s.speaker for s in finals] == [t["speaker"] for t in timeline]
    for segment, turn in zip(finals, timeline, strict=True):
        assert abs(segment.start - turn["start"]) < 0.6  # type: ignore[operator]
        assert abs(segment.end - turn["end"]) < 0.6  # type: ignore[operator]
        assert character_error_rate(str(turn["text"]), segment.text) < 0.3
    # Every final was preceded by partials of the same segment id, text growing with time.
    for final in finals:
        mine = [p for p in partials if p.id == final.id]
        assert len(mine) >= 3
        assert mine[0].end < mine[-1].end
    assert len({s.id for s in finals}) == len(finals)
    assert "纷享销客" in finals[1].text or "八十万" in finals[1].text or "80万" in finals[1].text


def test_file_and_stream_give_the_same_finals(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    path = fixture_audio / "fx_short.stereo.wav"
    streamed = [e.segment for e in stream(speech_engine, path, 40) if isinstance(e, FinalSegment)]
    whole = speech_engine.transcribe_file(path).segments
    assert [(s.speaker, s.start, s.end, s.text) for s in whole] == [
        (s.speaker, s.start, s.end, s.text) for s in streamed
    ]


def test_mono_recording_has_unknown_speaker(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    transcript = speech_engine.transcribe_file(fixture_audio / "fx_short.mono.wav")
    assert len(transcript.segments) == 3
    assert {s.speaker for s in transcript.segments} == {"unknown"}
    assert abs(transcript.duration - 16.3) < 0.2


def test_long_monologue_is_committed_in_pieces_and_nothing_is_lost(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    events = stream(speech_engine, fixture_audio / "fx_monologue.stereo.wav")
    finals = [e.segment for e in events if isinstance(e, FinalSegment)]
    [turn] = load_timeline(fixture_audio / "fx_monologue.timeline.json")
    max_len = speech_engine.config.endpoint.max_segment_s
    assert len(finals) >= 2
    assert all(s.speaker == "customer" for s in finals)
    assert all(s.end - s.start <= max_len + 0.01 for s in finals)
    assert character_error_rate(str(turn["text"]), "".join(s.text for s in finals)) < 0.2
    # The first words and the last words are both there.
    assert finals[0].text.startswith("我们工厂")
    assert "系统" in finals[-1].text


def test_silence_and_noise_produce_no_text(speech_engine: SpeechEngine) -> None:
    rng = np.random.default_rng(7)
    quiet = np.zeros((2, SAMPLE_RATE * 20), np.float32)
    hiss = (rng.standard_normal((2, SAMPLE_RATE * 20)) * 0.003).astype(np.float32)
    for samples in (quiet, hiss):
        call = speech_engine.new_call(PcmFormat(SAMPLE_RATE, 2))
        events = call.feed_samples(samples) + call.finish()
        assert events == []


def test_memory_stays_bounded_over_a_long_call(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    """Six minutes of speech and silence: retained audio never exceeds one segment."""
    speech = decode_file(fixture_audio / "fx_short.stereo.wav").samples
    call = speech_engine.new_call(PcmFormat(SAMPLE_RATE, 2), emit_partials=False)
    # One segment, its pre-roll and one frame.
    limit = (speech_engine.config.endpoint.max_segment_s + 1.0) * SAMPLE_RATE
    peak = 0
    silence = np.zeros((2, SAMPLE_RATE * 50), np.float32)
    for round_ in range(10):
        chunk = speech if round_ % 3 == 0 else silence
        for offset in range(0, chunk.shape[1], SAMPLE_RATE):
            call.feed_samples(chunk[:, offset : offset + SAMPLE_RATE])
            peak = max(peak, *(c.retained_samples for c in call.channels))
    assert peak <= limit
    assert call.position_s > 360


def test_finished_call_refuses_more_audio(speech_engine: SpeechEngine) -> None:
    call = speech_engine.new_call(PcmFormat(SAMPLE_RATE, 1))
    call.finish()
    with pytest.raises(RuntimeError):
        call.feed(b"\x00\x00" * 160)
