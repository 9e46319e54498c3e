"""The simulated telephone line of bench/telephone.py writes what a call-centre export looks
like (8 kHz G.711 μ-law WAV), and the product's own decoder reads it back at 16 kHz with the
speech still there and nothing above the telephone band."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.telephone import RATE, degrade, write_mulaw
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
