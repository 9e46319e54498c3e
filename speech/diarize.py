"""Who is speaking on a mono recording: per-segment voice features and two-voice clustering.

A mono call (how most phone systems store calls) mixes rep and customer in one channel.
Each segment's audio is summarised as a fixed vector (spectral shape as mel-cepstral means
and spreads, and pitch statistics); the segments of a call are then split into at most two
voices. Which voice is the rep is not decided here: that needs what was said
(:mod:`speech.diarize_labels` asks a :class:`~speech.diarize_labels.RoleResolver`).

The cepstrum leaves out c0 (loudness) and frames are chosen relative to each segment's own
peak, so a party recorded much quieter is still the same voice; segments with no voiced
speech to describe are placed by their neighbours in time instead.

Telephone lines (8 kHz, 300–3,400 Hz) remove the fundamental and flatten the spectral
envelope's differences between voices. Pitch is still heard from the harmonics (the
autocorrelation peaks at the period); its octave errors are dropped, and whether a call
holds two voices is also decided from the pitch alone, which survives the line best.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from speech.audio import SAMPLE_RATE

_FRAME = 400  # 25 ms
_HOP = 160  # 10 ms
_FFT = 512
_MELS = 40
_CEPSTRA = 12  # c1..c12: the spectral envelope, not the words' fine detail
_PITCH_FRAME = 640  # 40 ms: two periods of a 50 Hz voice
_MIN_LAG, _MAX_LAG = SAMPLE_RATE // 400, SAMPLE_RATE // 60  # 60–400 Hz
_VOICED_CORRELATION = 0.6
# A frame's pitch this far (semitones) from its segment's median is an octave error, not
# intonation: on a telephone line the fundamental is gone and the autocorrelation of the
# remaining harmonics now and then peaks at half (or a third of) the period. Such errors
# land 12 semitones or more away; speech rarely strays 10 from its median within a turn.
_OCTAVE_ERROR_ST = 10.0
_ACTIVE_DB = 35.0  # frames within this of the segment's loudest count as speech
_FLOOR = 1e-10

# Each feature divided by how much it varies between utterances of one speaker (measured on
# the fixture and real clips; bench/diarize.py), so distances are in "same-voice spreads".
_PITCH_SCALE = 1.5  # semitones
_CEPSTRUM_SCALE = 2.4
_SPREAD_SCALE = 1.75
# Pitch separates voices best (and is three numbers against twelve cepstra): weighted so
# each group counts about as much as its power to tell two voices apart.
_PITCH_WEIGHT, _CEPSTRUM_WEIGHT, _SPREAD_WEIGHT = 2.0, 1.0, 0.5

# Two clusters whose centres are closer than this (in same-voice spreads, per feature, root
# mean square) are one voice: a single-speaker call is not split in two. Single speakers
# reach 2.53 through a (simulated) telephone line; a 3-segment two-voice call, too short for
# the pitch test below, 2.86 at least (bench/diarize.py, tests/speech/test_diarize_telephone.py).
TWO_VOICE_SEPARATION = 2.7
# ... unless their pitch says otherwise: two voices whose typical pitch differs by this many
# semitones, with a Welch t of the segments' median pitch at least this large, each heard
# in at least this many segments. Pitch survives a telephone line better than the spectral
# envelope does, and a t grows with the evidence, where the separation above does not.
PITCH_GAP_ST = 2.0
PITCH_GAP_T = 4.0
MIN_SEGMENTS_PER_VOICE = 3
# A split made on pitch alone picks the largest gap it can find, so it must hold more
# segments on each side before its t is believed (a single voice cut into six pieces can
# show a 2-semitone gap between the highest three and the lowest three).
PITCH_SPLIT_MIN_SEGMENTS = 5
# Below this much voiced speech a segment's vector is too noisy to cluster on. Such a
# segment still takes the nearer centre (a backchannel 嗯 is most often the other party,
# not the one who spoke last: measured on bench/data/dev_calls), with this confidence at most.
MIN_VOICED_S = 0.6
SHORT_MAX_CONFIDENCE = 0.7


@dataclass(frozen=True)
class VoiceFeatures:
    """One segment's voice, as a vector in same-voice spreads, and how much speech it had."""

    vector: np.ndarray
    voiced_s: float
    pitch_st: float  # median pitch, semitones above 100 Hz


class VoiceAssignment(NamedTuple):
    """The voice (0 or 1) of one segment and how sure the acoustics are (0.5–1)."""

    voice: int
    confidence: float


@dataclass(frozen=True)
class Clustering:
    """Every segment's voice; ``two_voices`` is false when the call sounds like one speaker
    (all segments are then voice 0)."""

    assignments: list[VoiceAssignment]
    two_voices: bool
    separation: float


@lru_cache(maxsize=1)
def _mel_filters() -> np.ndarray:
    def to_mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10 ** (mel / 2595.0) - 1.0)

    # Up to 3.8 kHz: telephone audio (8 kHz) has nothing above, and wideband audio must be
    # described the same way when one call mixes both. (Starting at 300 Hz, the telephone
    # band, made clean and telephone cepstra agree but cost the clean calls more separation
    # than it gained on the phone ones: bench/diarize.py.)
    edges = to_hz(np.linspace(to_mel(np.array(80.0)), to_mel(np.array(3800.0)), _MELS + 2))
    bins = np.fft.rfftfreq(_FFT, 1.0 / SAMPLE_RATE)
    filters = np.zeros((_MELS, len(bins)), np.float32)
    for i in range(_MELS):
        low, centre, high = edges[i], edges[i + 1], edges[i + 2]
        rising = (bins - low) / (centre - low)
        falling = (high - bins) / (high - centre)
        filters[i] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


@lru_cache(maxsize=1)
def _dct() -> np.ndarray:
    n = np.arange(_MELS)
    k = np.arange(1, _CEPSTRA + 1)[:, None]
    return np.cos(np.pi * k * (2 * n + 1) / (2 * _MELS)).astype(np.float32)


def _frames(samples: np.ndarray, size: int) -> np.ndarray:
    count = 1 + (len(samples) - size) // _HOP
    index = np.arange(size)[None, :] + _HOP * np.arange(count)[:, None]
    return samples[index]


def _pitch_semitones(samples: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Pitch of each voiced frame, in semitones above 100 Hz (normalised autocorrelation)."""
    frames = _frames(samples, _PITCH_FRAME)[: len(active)]
    frames = frames[active[: len(frames)]]
    if not len(frames):
        return np.zeros(0)
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames, 2 * _PITCH_FRAME, axis=1)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, : _MAX_LAG + 1]
    # Unbiased: the overlap shrinks with the lag.
    correlation = correlation / (_PITCH_FRAME - np.arange(_MAX_LAG + 1))
    energy = correlation[:, :1] + _FLOOR
    normalised = correlation[:, _MIN_LAG:] / energy
    lag = np.argmax(normalised, axis=1)
    # A peak on the edge of the search range is noise or a voice outside it, not a pitch.
    interior = (lag > 0) & (lag < normalised.shape[1] - 1)
    voiced = interior & (normalised[np.arange(len(lag)), lag] > _VOICED_CORRELATION)
    f0 = SAMPLE_RATE / (lag[voiced] + _MIN_LAG)
    semitones = 12.0 * np.log2(f0 / 100.0)
    if not len(semitones):
        return semitones
    return semitones[np.abs(semitones - np.median(semitones)) < _OCTAVE_ERROR_ST]


def voice_features(samples: np.ndarray) -> VoiceFeatures | None:
    """The voice of one segment (float32 mono at 16 kHz), or ``None`` if it holds too
    little voiced speech to describe (a short 嗯, a cough)."""
    samples = np.asarray(samples, np.float32)
    if len(samples) < _PITCH_FRAME + _HOP:
        return None
    frames = _frames(samples, _FRAME) * np.hanning(_FRAME).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, _FFT, axis=1)) ** 2
    mel = np.log(power @ _mel_filters().T + _FLOOR)
    level = 10 * np.log10(power.sum(axis=1) + _FLOOR)
    active = (level > level.max() - _ACTIVE_DB) & (level > -70.0)
    pitch = _pitch_semitones(samples, active)
    voiced_s = len(pitch) * _HOP / SAMPLE_RATE
    if voiced_s < 0.15 or active.sum() < 10:
        return None
    cepstra = mel[active] @ _dct().T
    vector = np.concatenate(
        [
            np.percentile(pitch, [25, 50, 75]) * (_PITCH_WEIGHT / _PITCH_SCALE),
            cepstra.mean(axis=0) * (_CEPSTRUM_WEIGHT / _CEPSTRUM_SCALE),
            cepstra.std(axis=0)[:6] * (_SPREAD_WEIGHT / _SPREAD_SCALE),
        ]
    )
    return VoiceFeatures(vector.astype(np.float64), voiced_s, float(np.median(pitch)))


def _two_means(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted 2-means from the farthest pair (deterministic): labels and centres."""
    distances = np.linalg.norm(points[:, None] - points[None], axis=2)
    first, second = np.unravel_index(np.argmax(distances), distances.shape)
    centres = points[[first, second]].copy()
    labels = np.zeros(len(points), int)
    for _ in range(50):
        new = np.argmin(np.linalg.norm(points[:, None] - centres[None], axis=2), axis=1)
        if (new == labels).all() and _ > 0:
            break
        labels = new
        for k in (0, 1):
            if (labels == k).any():
                w = weights[labels == k]
                centres[k] = (points[labels == k] * w[:, None]).sum(axis=0) / w.sum()
    return labels, centres


def _separation(points: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> float:
    """Distance between the two centres over the spread of segments around their own
    centre (root mean square per feature)."""
    if (labels == 0).all() or (labels == 1).all():
        return 0.0
    within = np.sqrt(np.mean(np.sum((points - centres[labels]) ** 2, axis=1))) + 0.5
    between = np.linalg.norm(centres[0] - centres[1])
    return float(between / within)


def cluster_voices(
    features: Sequence[VoiceFeatures | None], starts: Sequence[float], ends: Sequence[float]
) -> Clustering:
    """Split a call's segments into at most two voices: two when the centres are far apart
    or the pitches differ beyond chance. Segments with too little speech to cluster on take
    the nearer centre; those with none, the voice of the nearest segment in time. Voice 0
    is the one heard first."""
    count = len(features)
    usable = [i for i, f in enumerate(features) if f is not None and f.voiced_s >= MIN_VOICED_S]
    if len(usable) < 2:
        usable = [i for i, f in enumerate(features) if f is not None]
    if len(usable) < 2:
        return Clustering([VoiceAssignment(0, 0.5)] * count, False, 0.0)
    points = np.stack([features[i].vector for i in usable])  # type: ignore[union-attr]
    weights = np.array([min(features[i].voiced_s, 5.0) for i in usable])  # type: ignore[union-attr]
    labels, centres = _two_means(points, weights)
    separation = _separation(points, labels, centres)
    pitch = np.array([features[i].pitch_st for i in usable])  # type: ignore[union-attr]
    two_voices = separation >= TWO_VOICE_SEPARATION or _pitches_apart(
        pitch, labels, MIN_SEGMENTS_PER_VOICE
    )

    def where(feature: VoiceFeatures) -> np.ndarray:
        return feature.vector

    if not two_voices:
        # The split on every feature may follow the spectral envelope (the words, the line)
        # rather than the voices: split on pitch alone, with a stricter bar, and place every
        # segment by its pitch.
        by_pitch, pitch_centres = _two_means(pitch[:, None], weights)
        if _pitches_apart(pitch, by_pitch, PITCH_SPLIT_MIN_SEGMENTS):
            labels, centres, two_voices = by_pitch, pitch_centres, True
            separation = _separation(pitch[:, None], labels, centres)

            def where(feature: VoiceFeatures) -> np.ndarray:
                return np.array([feature.pitch_st])

    if not two_voices:
        confidence = 0.5 + 0.5 * max(0.0, 1.0 - separation / TWO_VOICE_SEPARATION)
        return Clustering([VoiceAssignment(0, round(confidence, 3))] * count, False, separation)
    if labels[0] == 1:  # voice 0 speaks first
        labels, centres = 1 - labels, centres[::-1]
    known: dict[int, VoiceAssignment] = {}
    for index in usable:
        known[index] = _assignment(where(features[index]), centres)  # type: ignore[arg-type]
    for index, feature in enumerate(features):
        if index in known or feature is None:
            continue
        guess = _assignment(where(feature), centres)
        known[index] = guess._replace(confidence=min(guess.confidence, SHORT_MAX_CONFIDENCE))
    assignments = [
        known[i] if i in known else _by_neighbour(i, known, starts, ends) for i in range(count)
    ]
    return Clustering(assignments, True, separation)


def _pitches_apart(pitch: np.ndarray, labels: np.ndarray, min_segments: int) -> bool:
    """Whether the two clusters' segments differ in median pitch beyond chance (Welch t)."""
    first, second = pitch[labels == 0], pitch[labels == 1]
    if min(len(first), len(second)) < min_segments:
        return False
    gap = abs(float(first.mean() - second.mean()))
    noise = np.sqrt(first.var(ddof=1) / len(first) + second.var(ddof=1) / len(second))
    return gap >= PITCH_GAP_ST and gap >= PITCH_GAP_T * float(noise)


def _assignment(vector: np.ndarray, centres: np.ndarray) -> VoiceAssignment:
    near, far = np.linalg.norm(centres - vector, axis=1)
    voice = 0 if near <= far else 1
    # Relative margin between the two centres: 0 on the midline, 1 on a centre or beyond.
    margin = abs(far - near) / (np.linalg.norm(centres[0] - centres[1]) + 1e-9)
    return VoiceAssignment(voice, round(0.5 + 0.5 * min(1.0, float(margin)), 3))


def _by_neighbour(
    index: int, known: dict[int, VoiceAssignment], starts: Sequence[float], ends: Sequence[float]
) -> VoiceAssignment:
    """A segment too short to hear whose voice it is: most often the same speaker
    continuing (a pause cut the turn), so the closest described segment in time."""
    if not known:
        return VoiceAssignment(0, 0.5)

    def gap(other: int) -> float:
        return max(starts[index] - ends[other], starts[other] - ends[index], 0.0)

    nearest = min(known, key=lambda other: (gap(other), other > index))
    return VoiceAssignment(known[nearest].voice, 0.55)
