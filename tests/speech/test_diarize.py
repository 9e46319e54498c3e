"""Two voices on one channel: clustering on committed audio with known timelines."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, decode_file
from speech.diarize import (
    MIN_VOICED_S,
    Clustering,
    VoiceFeatures,
    cluster_voices,
    voice_features,
)
from speech.diarize_labels import MonoSpeakers, RoleGuess, VoiceTurn
from speech.types import Segment
from tests.conftest import DEVSET, load_timeline

TimedTurn = tuple[float, float, str]


def turns_of(timeline_path: Path) -> list[TimedTurn]:
    return [
        (float(t["start"]), float(t["end"]), str(t["speaker"]))  # type: ignore[arg-type]
        for t in load_timeline(timeline_path)
    ]


def cluster(samples: np.ndarray, turns: Sequence[TimedTurn]) -> Clustering:
    features = [
        voice_features(samples[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)]) for s, e, _ in turns
    ]
    return cluster_voices(features, [s for s, _, _ in turns], [e for _, e, _ in turns])


def voices_match(clustering: Clustering, turns: Sequence[TimedTurn]) -> bool:
    """The same partition as the truth (voice numbers are arbitrary)."""
    pairs = {
        (a.voice, speaker) for a, (_, _, speaker) in zip(clustering.assignments, turns, strict=True)
    }
    return len(pairs) == 2 and len({v for v, _ in pairs}) == 2


CALLS = [
    ("tests/fixtures/audio/fx_short", "fx_short"),
    (str(DEVSET / "audio" / "dc01"), "dc01"),
    (str(DEVSET / "audio" / "dc02"), "dc02"),
]


@pytest.mark.parametrize(("stem", "name"), CALLS, ids=[n for _, n in CALLS])
def test_mono_calls_split_into_rep_and_customer_voices(stem: str, name: str) -> None:
    root = Path(__file__).resolve().parents[2]
    base = Path(stem) if Path(stem).is_absolute() else root / stem
    turns = turns_of(base.with_suffix(".timeline.json"))
    samples = decode_file(base.with_suffix(".mono.wav")).samples[0]
    clustering = cluster(samples, turns)
    assert clustering.two_voices
    assert voices_match(clustering, turns)
    assert all(a.confidence > 0.6 for a in clustering.assignments)


def test_a_much_quieter_customer_is_still_a_voice_of_its_own() -> None:
    """The customer's side 20 dB down, as on many phone recordings."""
    stereo = decode_file(DEVSET / "audio" / "dc01.stereo.wav").samples
    turns = turns_of(DEVSET / "audio" / "dc01.timeline.json")
    clustering = cluster(stereo[0] + 0.1 * stereo[1], turns)
    assert clustering.two_voices and voices_match(clustering, turns)


def test_one_voice_is_not_split_in_two(fixture_audio: Path) -> None:
    """A customer's 30 s monologue, cut into pieces: one voice, said with low confidence."""
    samples = decode_file(fixture_audio / "fx_monologue.stereo.wav").samples[1]
    pieces = [(float(s), float(s) + 4.0, "customer") for s in np.arange(0.0, 24.0, 4.5)]
    clustering = cluster(samples, pieces)
    assert not clustering.two_voices
    assert {a.voice for a in clustering.assignments} == {0}


def test_a_short_segment_takes_the_nearer_voice_and_a_silent_one_its_neighbour() -> None:
    samples = decode_file(DEVSET / "audio" / "dc02.mono.wav").samples[0]
    turns = turns_of(DEVSET / "audio" / "dc02.timeline.json")
    features = [
        voice_features(samples[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)]) for s, e, _ in turns
    ]
    # 「…能定。」 ends the rep's turn at 12.49: its last 0.4 s is too little to cluster on. Put
    # right after the customer's 「…在外地。」 (ends 16.61), like a backchannel, it is still
    # the rep's voice, not the voice of whoever spoke last.
    short = voice_features(samples[int(12.09 * SAMPLE_RATE) : int(12.49 * SAMPLE_RATE)])
    assert short is not None and short.voiced_s < MIN_VOICED_S
    # Then a 嗯 with nothing to describe: it takes its neighbour in time.
    timed = [*turns[:4], (16.7, 17.0, "rep"), (17.02, 17.08, "rep"), *turns[4:]]
    features = [*features[:4], short, None, *features[4:]]
    clustering = cluster_voices(features, [s for s, _, _ in timed], [e for _, e, _ in timed])
    assert voices_match(clustering, timed)
    assert clustering.assignments[4].confidence <= 0.7  # short: never sure
    assert clustering.assignments[5].confidence < 0.6  # placed by time, not by voice


class FirstVoiceIsRep:
    """A stand-in for the application's resolver: the first voice is the rep."""

    def resolve(self, turns: Sequence[VoiceTurn], voices: int) -> dict[int, RoleGuess]:
        if voices == 1:
            return {0: RoleGuess("rep", 0.9)}
        return {0: RoleGuess("rep", 0.9), 1: RoleGuess("customer", 0.9)}


def test_mono_speakers_label_every_segment_and_cap_a_lone_voice(fixture_audio: Path) -> None:
    samples = decode_file(DEVSET / "audio" / "dc02.mono.wav").samples[0]
    turns = turns_of(DEVSET / "audio" / "dc02.timeline.json")
    speakers = MonoSpeakers(FirstVoiceIsRep())
    live = []
    for n, (start, end, _) in enumerate(turns):
        segment = Segment(id=f"s{n}", start=start, end=end, speaker="unknown", text="…")
        audio = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        live.append(speakers.final(segment, audio))
    whole = speakers.relabel(live)
    assert [s.speaker for s in whole] == [t for _, _, t in turns]
    assert all(s.speaker_source == "inferred" and s.speaker_confidence for s in whole)
    # Live, the first segment is heard alone: one voice, labelled with low confidence.
    assert live[0].speaker == "rep" and (live[0].speaker_confidence or 0) <= 0.6


def test_two_voices_apart_in_pitch_are_found_when_the_envelope_splits_otherwise() -> None:
    """On a telephone line the spectral envelope follows the words and the line more than the
    voice: here it splits the segments in a way that has nothing to do with who speaks, and
    the two voices, 3.5 semitones apart, are found from their pitch."""
    rng = np.random.default_rng(0)
    speakers = ["rep", "customer"] * 8
    pitch = np.array([12.0 if s == "rep" else 15.5 for s in speakers]) + rng.normal(0, 0.6, 16)
    envelope = rng.normal(0, 1.0, (16, 18))
    envelope[:, 0] += np.where(rng.random(16) < 0.5, -8.0, 8.0)  # unrelated to the speaker
    features = [
        VoiceFeatures(np.concatenate([[p - 1, p, p + 1], row]) * 0.3, 2.0, float(p))
        for p, row in zip(pitch, envelope, strict=True)
    ]
    starts = [3.0 * i for i in range(16)]
    clustering = cluster_voices(features, starts, [s + 2.5 for s in starts])
    turns = [(s, s + 2.5, who) for s, who in zip(starts, speakers, strict=True)]
    assert clustering.two_voices
    assert voices_match(clustering, turns)
