"""Two voices on one channel after a telephone line (simulated: bench/telephone.py, 8 kHz
G.711 μ-law, 300–3,400 Hz, clipping, 20 dB noise), read back by the product's decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.telephone import degrade, write_mulaw
from speech.audio import SAMPLE_RATE, decode_file
from speech.diarize import voice_features
from tests.conftest import DEVSET
from tests.speech.test_diarize import cluster, turns_of

ROOT = Path(__file__).resolve().parents[2]
CALLS = {
    "fx_short": ROOT / "tests" / "fixtures" / "audio" / "fx_short",
    "dc01": DEVSET / "audio" / "dc01",
    "dc02": DEVSET / "audio" / "dc02",
}


def through_line(samples: np.ndarray, tmp_path: Path) -> np.ndarray:
    path = tmp_path / "call.phone.wav"
    write_mulaw(path, degrade(samples[None].astype(np.float32), SAMPLE_RATE, seed=3))
    return decode_file(path).samples[0]


def share_right(found: list[int], truth: list[str]) -> float:
    """Over the better pairing of voices with speakers."""
    speakers = sorted(set(truth))
    return max(
        float(np.mean([pairing[s] == v for s, v in zip(truth, found, strict=True)]))
        for pairing in (
            {s: i for i, s in enumerate(speakers)},
            {s: 1 - i for i, s in enumerate(speakers)},
        )
    )


@pytest.mark.parametrize("name", list(CALLS))
def test_a_mono_call_through_the_telephone_line_keeps_its_two_voices(
    name: str, tmp_path: Path
) -> None:
    stem = CALLS[name]
    turns = turns_of(stem.with_suffix(".timeline.json"))
    samples = through_line(decode_file(stem.with_suffix(".mono.wav")).samples[0], tmp_path)
    clustering = cluster(samples, turns)
    assert clustering.two_voices
    assert share_right([a.voice for a in clustering.assignments], [t[2] for t in turns]) >= 0.9


def test_two_devset_calls_back_to_back_on_the_line_are_still_two_voices(tmp_path: Path) -> None:
    """A longer call (dc01 then dc02, the same two voices): on the line the spectral
    envelopes of the two parties draw close; their pitch still tells them apart."""
    first = decode_file(CALLS["dc01"].with_suffix(".mono.wav")).samples[0]
    second = decode_file(CALLS["dc02"].with_suffix(".mono.wav")).samples[0]
    offset = len(first) / SAMPLE_RATE
    turns = turns_of(CALLS["dc01"].with_suffix(".timeline.json")) + [
        (s + offset, e + offset, who)
        for s, e, who in turns_of(CALLS["dc02"].with_suffix(".timeline.json"))
    ]
    samples = through_line(np.concatenate([first, second]), tmp_path)
    clustering = cluster(samples, turns)
    assert clustering.two_voices
    assert share_right([a.voice for a in clustering.assignments], [t[2] for t in turns]) >= 0.9


def test_one_voice_on_the_line_is_not_split_in_two(fixture_audio: Path, tmp_path: Path) -> None:
    samples = decode_file(fixture_audio / "fx_monologue.stereo.wav").samples[1]
    pieces = [(float(s), float(s) + 4.0, "customer") for s in np.arange(0.0, 24.0, 4.5)]
    clustering = cluster(through_line(samples, tmp_path), pieces)
    assert not clustering.two_voices


def test_pitch_is_heard_from_the_harmonics_when_the_fundamental_is_gone() -> None:
    """A 150 Hz voice with nothing below 450 Hz (harmonics 3–20), as a phone line leaves a
    low voice: its pitch is still 150 Hz, 7.0 semitones above 100 Hz, not an octave off."""
    t = np.arange(int(1.5 * SAMPLE_RATE)) / SAMPLE_RATE
    vibrato = 150.0 * (1 + 0.01 * np.sin(2 * np.pi * 4 * t))
    phase = 2 * np.pi * np.cumsum(vibrato) / SAMPLE_RATE
    tone = sum(np.sin(k * phase) / k for k in range(3, 21))
    noise = np.random.default_rng(0).normal(scale=0.02, size=len(t))
    features = voice_features((0.3 * tone + noise).astype(np.float32))
    assert features is not None
    assert features.pitch_st == pytest.approx(12 * np.log2(1.5), abs=0.5)
