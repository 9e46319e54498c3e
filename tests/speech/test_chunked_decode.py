"""Whole files decoded and transcribed a second at a time: memory does not grow with the
length of the recording, and a length limit stops a long one early."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, AudioTooLongError, decode_file, open_audio
from speech.engine import SpeechEngine

MiB = 1024 * 1024


def write_flac(
    path: Path, seconds: int, *, speech: np.ndarray | None = None, undeclared: bool = False
) -> Path:
    """``seconds`` of mono 16 kHz silence as FLAC (a few hundred kB per hour), with
    ``speech`` (int16 samples) at the start. ``undeclared``: the header does not say how
    long the file is, as when a recorder writes FLAC to a pipe."""
    samples = np.zeros(seconds * SAMPLE_RATE, np.int16)
    if speech is not None:
        samples[: len(speech)] = speech[: len(samples)]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        for n, start in enumerate(range(0, len(samples), SAMPLE_RATE)):
            frame = av.AudioFrame.from_ndarray(
                samples[None, start : start + SAMPLE_RATE], format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = SAMPLE_RATE, n * SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    if undeclared:
        # STREAMINFO's 36-bit sample count (0 = unknown) ends 8 bytes into its bit fields.
        data = bytearray(path.read_bytes())
        assert data[:4] == b"fLaC"
        data[21] &= 0xF0
        data[22:26] = b"\0\0\0\0"
        path.write_bytes(bytes(data))
    return path


def peak_traced(fn: object) -> int:
    """Peak bytes allocated (numpy buffers included) while ``fn()`` runs."""
    tracemalloc.start()
    try:
        fn()  # type: ignore[operator]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_file_is_decoded_in_chunks_of_bounded_size(tmp_path: Path) -> None:
    path = write_flac(tmp_path / "half-hour.flac", 30 * 60)
    seen: list[int] = []

    def decode() -> None:
        with open_audio(path) as audio:
            seen.extend(chunk.shape[1] for chunk in audio.chunks(1.0))

    peak = peak_traced(decode)
    assert sum(seen) == 30 * 60 * SAMPLE_RATE
    assert set(seen) == {SAMPLE_RATE}
    # The whole file as float32 would be 110 MiB.
    assert peak < 4 * MiB, peak


def test_transcribing_a_long_file_keeps_memory_flat(
    tmp_path: Path, speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    clip = decode_file(fixture_audio / "fx_short.mono.wav").samples[0]
    speech = (clip * 32767).astype(np.int16)
    path = write_flac(tmp_path / "long.flac", 20 * 60, speech=speech)
    transcripts = []
    speech_engine.corrector()  # built once per engine (its dictionaries), as a service has it
    peak = peak_traced(lambda: transcripts.append(speech_engine.transcribe_file(path)))
    (transcript,) = transcripts
    assert transcript.duration == 20 * 60
    assert transcript.segments and transcript.segments[0].start < len(clip) / SAMPLE_RATE
    assert peak < 24 * MiB, peak  # decoded whole, the samples alone are 73 MiB


def test_a_file_declaring_more_than_the_limit_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    path = write_flac(tmp_path / "two-hours.flac", 2 * 3600)
    with pytest.raises(AudioTooLongError, match="120 min, more than the 60 min allowed"):
        open_audio(path, max_duration_s=3600)
    with open_audio(path, max_duration_s=2 * 3600) as audio:
        assert audio.declared_duration == 2 * 3600


def test_an_undeclared_length_stops_decoding_at_the_limit(tmp_path: Path) -> None:
    path = write_flac(tmp_path / "piped.flac", 180, undeclared=True)
    decoded = 0
    with open_audio(path, max_duration_s=60) as audio, pytest.raises(AudioTooLongError):
        assert audio.declared_duration is None
        for chunk in audio.chunks(1.0):
            decoded += chunk.shape[1]
    assert 60 * SAMPLE_RATE <= decoded <= 62 * SAMPLE_RATE
    with open_audio(path) as audio:
        assert sum(c.shape[1] for c in audio.chunks(5.0)) == 180 * SAMPLE_RATE


def test_a_file_transcribes_as_its_decoded_samples_do(
    speech_engine: SpeechEngine, fixture_audio: Path
) -> None:
    path = fixture_audio / "fx_short.stereo.wav"
    streamed = speech_engine.transcribe_file(path)
    whole = speech_engine.transcribe_audio(decode_file(path))
    assert streamed == whole
    assert {s.speaker for s in streamed.segments} == {"rep", "customer"}
