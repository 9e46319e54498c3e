"""The simulated telephone line of bench/telephone.py writes what a call-centre export looks
like (8 kHz G.711 μ-law WAV), and the product's own decoder reads it back at 16 kHz with the
speech still there and nothing above the telephone band."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.telephone import LINES, RATE, degrade, write_mulaw
from speech.audio import SAMPLE_RATE, decode_file

FIXTURE = Path(__file__).parents[1] / "fixtures" / "audio" / "fx_short.stereo.wav"


def test_a_call_through_the_telephone_line_decodes_as_narrow_band_stereo(tmp_path: Path) -> None:
    original = decode_file(FIXTURE)
    line = degrade(original.samples.astype(np.float32), SAMPLE_RATE, seed=1)
    assert line.shape[0] == 2
    assert abs(line.shape[1] - original.samples.shape[1] * RATE / SAMPLE_RATE) <= 2
    path = tmp_path / "call.phone.wav"
    write_mulaw(path, line)
    assert path.read_bytes()[20:22] == (7).to_bytes(2, "little")  # WAVE_FORMAT_MULAW

    heard = decode_file(path)
    assert heard.source_rate == RATE
    assert heard.channels == 2
    assert abs(heard.samples.shape[1] - original.samples.shape[1]) <= SAMPLE_RATE // 100
    # Speech is still there on both channels, and the band above 3.4 kHz is (nearly) empty.
    for channel in heard.samples:
        assert np.sqrt(np.mean(channel**2)) > 0.01
        spectrum = np.abs(np.fft.rfft(channel)) ** 2
        freqs = np.fft.rfftfreq(len(channel), 1 / SAMPLE_RATE)
        assert spectrum[freqs > 4200].sum() < 0.02 * spectrum.sum()


def test_the_line_taken_apart_leaves_out_what_it_is_asked_to() -> None:
    # A tone, then a second of silence: noise shows in the silence, clipping in the tone.
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    samples = np.concatenate([0.5 * np.sin(2 * np.pi * 440 * t), np.zeros(SAMPLE_RATE)])
    samples = samples[None].astype(np.float32)
    quiet = slice(int(RATE * 1.2), int(RATE * 1.8))  # the silence, past the filter's ringing
    lines = {kind: degrade(samples, SAMPLE_RATE, seed=1, line=kind)[0] for kind in LINES}

    def noise(kind: str) -> float:
        return float(np.sqrt(np.mean(lines[kind][quiet] ** 2)))

    def clipped(kind: str) -> float:
        """The share of the tone cut flat at the line's ceiling."""
        return float(np.mean(np.abs(lines[kind][: RATE // 2]) >= 0.9 - 1e-6))

    assert noise("band") < 1e-3 and noise("band+clip") < 1e-3
    assert noise("full") > 0.01 and noise("band+noise") > 0.01
    assert clipped("band+clip") > 0.5 and clipped("band") < 0.05
    # The full line clips before the noise goes on: louder than the unclipped noisy one.
    tone = slice(0, RATE // 2)
    assert np.sqrt(np.mean(lines["full"][tone] ** 2)) > 1.2 * np.sqrt(
        np.mean(lines["band+noise"][tone] ** 2)
    )


def test_an_unknown_line_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown telephone line"):
        degrade(np.zeros((1, SAMPLE_RATE), np.float32), SAMPLE_RATE, line="satellite")
