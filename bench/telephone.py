"""A telephone line, simulated: what a call sounds like after the phone network.

Nothing in ``../shared/real/`` was recorded on a telephone, so the telephone versions of the
benchmark calls are made here, and every figure measured on them is a simulation:

- band-limited to 300–3,400 Hz and resampled to 8 kHz (narrow-band telephony),
- speech peaks driven into clipping (a hot microphone, an AGC overshooting),
- line noise at a fixed signal-to-noise ratio,
- G.711 μ-law companding (8-bit), written as a μ-law WAV so the product's own decoder reads
  it the way it reads a call-centre export.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

RATE = 8_000
SNR_DB = 20.0
# Peaks above this share of full scale are cut off (a clipping line).
CLIP_AT = 0.35


def narrow_band(samples: np.ndarray, rate: int) -> np.ndarray:
    """``samples`` (channels × n, float32 at ``rate``) as an 8 kHz, 300–3,400 Hz signal."""
    from scipy.signal import butter, resample_poly, sosfiltfilt

    resampled = resample_poly(samples, RATE, rate, axis=-1)
    sos = butter(4, [300, 3400], btype="band", fs=RATE, output="sos")
    return np.asarray(sosfiltfilt(sos, resampled, axis=-1), dtype=np.float32)


# What the line does, for taking it apart (bench.heard_calls --line): every version is
# narrow band and μ-law coded; each also clips (first) and adds noise (second) or not.
_PARTS = {
    "full": (True, True),
    "band": (False, False),
    "band+clip": (True, False),
    "band+noise": (False, True),
}
LINES = tuple(_PARTS)


def degrade(samples: np.ndarray, rate: int, seed: int = 0, *, line: str = "full") -> np.ndarray:
    """Narrow band, clipped, noisy: the signal before μ-law coding (8 kHz, float32);
    ``line`` (one of :data:`LINES`) leaves out the clipping, the noise or both."""
    if line not in _PARTS:
        raise ValueError(f"unknown telephone line {line!r} (known: {', '.join(LINES)})")
    clipped, noisy = _PARTS[line]
    signal = narrow_band(samples, rate)
    peak = float(np.abs(signal).max()) or 1.0
    clip_at = CLIP_AT if clipped else 1.0
    signal = np.clip(signal / peak, -clip_at, clip_at) / clip_at * 0.9
    if noisy:
        speech_power = float(np.mean(signal[np.abs(signal) > 0.02] ** 2)) if signal.any() else 0.0
        noise = np.random.default_rng(seed).normal(size=signal.shape)
        signal = signal + noise * np.sqrt(speech_power / 10 ** (SNR_DB / 10))
    return np.clip(signal, -1.0, 1.0).astype(np.float32)


def write_mulaw(path: Path, samples: np.ndarray) -> None:
    """Write ``samples`` (channels × n, 8 kHz float32) as a G.711 μ-law WAV."""
    channels = samples.shape[0]
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_mulaw", rate=RATE)
        stream.layout = "stereo" if channels == 2 else "mono"  # type: ignore[attr-defined]
        frame = av.AudioFrame.from_ndarray(
            pcm.T.reshape(1, -1).copy(),
            format="s16",
            layout=stream.layout.name,  # type: ignore[attr-defined]
        )
        frame.rate = RATE
        for packet in stream.encode(frame):  # type: ignore[attr-defined]
            container.mux(packet)
        for packet in stream.encode(None):  # type: ignore[attr-defined]
            container.mux(packet)
