"""Who is speaking on a mono recording: share of segments given the right speaker.

    .venv/bin/python -m bench.diarize [--no-asr] [--no-telephone] [--modes file live]
        [--dev-calls N]

1. Voices (acoustics only, on the true turns of each timeline): the devset and fixture calls
   mixed to mono, and harder "conversations" cut from real recordings of two different
   speakers (shared/real/audio), one of them also 20 dB quieter; plus single-speaker
   recordings, which must stay one voice. Accuracy is over the best pairing of voices with
   speakers.
2. Roles end to end (speech recognition, voices, cue words): each mono file transcribed as
   an upload is, and streamed as a live call is (labels as committed, and as stored at the
   end of the call, relabelled with the whole call's evidence); a segment counts as right
   when its label is the speaker of the turn it overlaps most (``unknown`` counts as wrong).

Each recording is also put through a simulated telephone line (bench/telephone.py: 8 kHz
G.711 μ-law, 300–3,400 Hz, clipping, 20 dB noise) and read back with the product's decoder,
as a call-centre export would be. Development calls in ``bench/data/dev_calls/`` (calls.json
and audio) join both tables when present; the held-out ``heard_calls`` never do.

The synthetic calls' two parties are one TTS voice, the rep's pitched down: they differ
mainly by pitch, which makes them easy. The real mixes are the harder check.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.telephone import degrade, write_mulaw
from copilot.roles import TextRoleResolver
from speech.audio import SAMPLE_RATE, DecodedAudio, PcmFormat, decode_file, to_pcm_s16le
from speech.config import SpeechConfig
from speech.diarize import cluster_voices, voice_features
from speech.engine import SpeechEngine
from speech.types import FinalSegment, Segment

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "real" / "audio"
MONO_CALLS = [
    SHARED / "devset" / "audio" / "dc01",
    SHARED / "devset" / "audio" / "dc02",
    REPO / "tests" / "fixtures" / "audio" / "fx_short",
]
DEV_CALLS = REPO / "bench" / "data" / "dev_calls"
AISHELL_150 = [f"aishell_S0150W{n}.wav" for n in ("0083", "0101", "0264", "0457", "0459")]
AISHELL_252 = [f"aishell_S0252W{n}.wav" for n in ("0085", "0129", "0132", "0172", "0177", "0396")]

Turn = tuple[float, float, str]


def _timeline(stem: Path) -> list[Turn]:
    """The call's true turns: its timeline, or (dev calls: stereo only) who is loud when."""
    path = stem.with_name(f"{stem.name}.timeline.json")
    if not path.exists():
        return turns_from_stereo(decode_file(next(stem.parent.glob(f"{stem.name}.stereo.*"))))
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [(float(r["start"]), float(r["end"]), str(r["speaker"])) for r in rows]


def turns_from_stereo(audio: DecodedAudio, merge_s: float = 0.45) -> list[Turn]:
    """Single-speaker stretches of a stereo call (left = rep, right = customer, as
    scripts/synth_calls.py writes them): 10 ms frames where one channel is within 40 dB of
    its peak and louder than the other, pauses under ``merge_s`` bridged."""
    hop = SAMPLE_RATE // 100
    count = audio.samples.shape[1] // hop
    frames = audio.samples[:, : count * hop].reshape(2, count, hop)
    level = 10 * np.log10((frames**2).mean(axis=2) + 1e-10)
    active = level > level.max(axis=1, keepdims=True) - 40
    left = active[0] & (level[0] > level[1])
    right = active[1] & (level[1] > level[0])
    runs: list[list[float]] = []
    for index in np.flatnonzero(left | right):
        channel, at = int(right[index]), index / 100
        if runs and runs[-1][2] == channel and at - runs[-1][1] <= merge_s:
            runs[-1][1] = at + 0.01
        else:
            runs.append([at, at + 0.01, channel])
    return [
        (round(start, 2), round(end, 2), "customer" if channel else "rep")
        for start, end, channel in runs
        if end - start >= 0.1
    ]


def _pieces(name: str, chunk_s: float | None) -> list[np.ndarray]:
    samples = decode_file(REAL / name).samples.mean(axis=0)
    if chunk_s is None:
        return [samples]
    step = int(chunk_s * SAMPLE_RATE)
    return [samples[o : o + step] for o in range(0, len(samples) - SAMPLE_RATE, step)]


def conversation(
    first: Sequence[str],
    second: Sequence[str],
    *,
    chunk_s: float | None = None,
    second_gain: float = 1.0,
    gap_s: float = 0.5,
) -> tuple[np.ndarray, list[Turn]]:
    """Two speakers' clips taking turns on one channel, with the true timeline."""
    sides = [
        [p for name in first for p in _pieces(name, chunk_s)],
        [p * second_gain for name in second for p in _pieces(name, chunk_s)],
    ]
    order = [
        (speaker, side[i])
        for i in range(max(len(s) for s in sides))
        for speaker, side in (("A", sides[0]), ("B", sides[1]))
        if i < len(side)
    ]
    audio: list[np.ndarray] = []
    turns: list[Turn] = []
    clock = 0.0
    silence = np.zeros(int(gap_s * SAMPLE_RATE), np.float32)
    for speaker, piece in order:
        turns.append((round(clock, 3), round(clock + len(piece) / SAMPLE_RATE, 3), speaker))
        audio += [piece.astype(np.float32), silence]
        clock += len(piece) / SAMPLE_RATE + gap_s
    return np.concatenate(audio), turns


def dev_calls() -> list[Path]:
    """Development calls, when someone has made them (stems, no suffix)."""
    if not DEV_CALLS.exists():
        return []
    return sorted({p.with_name(p.name.split(".")[0]) for p in DEV_CALLS.rglob("*.stereo.*")})


def mono_of(stem: Path) -> np.ndarray:
    """A call's mono recording, or its stereo one mixed down."""
    mono = stem.with_name(f"{stem.name}.mono.wav")
    if mono.exists():
        return decode_file(mono).samples[0]
    stereo = next(stem.parent.glob(f"{stem.name}.stereo.*"))
    return decode_file(stereo).samples.sum(axis=0)


def through_line(samples: np.ndarray, path: Path) -> np.ndarray:
    """``samples`` (16 kHz mono) through the simulated telephone line, written to ``path`` as
    a μ-law WAV and read back by the product's decoder."""
    write_mulaw(path, degrade(samples[None], SAMPLE_RATE))
    return decode_file(path).samples[0]


def write_wav(path: Path, samples: np.ndarray) -> None:
    """16 kHz mono float32 as a 16-bit WAV."""
    from scipy.io import wavfile

    wavfile.write(path, SAMPLE_RATE, (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16))


VoiceSet = tuple[str, str, np.ndarray, list[Turn]]


def voice_sets() -> Iterator[VoiceSet]:
    """(group, recording, 16 kHz mono samples, true turns) for every clean recording."""
    for stem in MONO_CALLS:
        group = "fixture" if stem.parent.name == "audio" and "tests" in stem.parts else "devset"
        yield group, f"{stem.name} (synthetic)", mono_of(stem), _timeline(stem)
    for stem in dev_calls():
        yield "dev calls", stem.name, mono_of(stem), _timeline(stem)
    yield "real mixes", "AISHELL S0150 / S0252", *conversation(AISHELL_150, AISHELL_252)
    yield (
        "real mixes",
        "  … S0252 20 dB quieter",
        *conversation(AISHELL_150, AISHELL_252, second_gain=0.1),
    )
    for name, first, second, chunk_s in (
        ("MOSS podcast f / m", "moss_podcast_f.wav", "moss_podcast_m.wav", 4.0),
        ("SoulX podcast f / m", "soulx_female_mandarin.wav", "soulx_male_mandarin.wav", 3.5),
        (
            "FireRedTTS2 chat S1 / S2",
            "fireredtts2_chat_zh_S1.flac",
            "fireredtts2_chat_zh_S2.flac",
            2.5,
        ),
        ("MOSS livestream hosts", "moss_livestream_spk1.wav", "moss_livestream_spk2.wav", 3.0),
    ):
        yield "real mixes", name, *conversation([first], [second], chunk_s=chunk_s)
    one, turns = conversation(AISHELL_252[:3], AISHELL_252[3:])
    yield "one voice", "AISHELL S0252", one, [(s, e, "A") for s, e, _ in turns]
    yield "one voice", "MOSS podcast m", *conversation(["moss_podcast_m.wav"], [], chunk_s=3)
    monologue = decode_file(REPO / "tests/fixtures/audio/fx_monologue.stereo.wav").samples[1]
    yield (
        "one voice",
        "fx_monologue",
        monologue,
        [(float(s), float(s) + 4.0, "customer") for s in np.arange(0.0, 24.0, 4.5)],
    )


def score_voices(samples: np.ndarray, turns: Sequence[Turn]) -> tuple[int, bool, float]:
    """Turns given the right voice (best pairing of voices with speakers), whether two
    voices were found, and the separation."""
    features = [
        voice_features(samples[int(s * SAMPLE_RATE) : int(e * SAMPLE_RATE)]) for s, e, _ in turns
    ]
    clustering = cluster_voices(features, [t[0] for t in turns], [t[1] for t in turns])
    truth = [t[2] for t in turns]
    found = [a.voice for a in clustering.assignments]
    speakers = sorted(set(truth))
    right = max(
        sum(pairing[s] == v for s, v in zip(truth, found, strict=True))
        for pairing in (
            {s: i for i, s in enumerate(speakers)},
            {s: 1 - i for i, s in enumerate(speakers)},
        )
    )
    return right, clustering.two_voices, clustering.separation


def voice_table(telephone: bool = True) -> Table:
    table = Table(title="Voices from the audio alone (true turns; telephone = simulated line)")
    columns = ["group", "recording", "turns", "speakers", "found", "separation", "right"]
    if telephone:
        columns += ["phone found", "phone separation", "phone right"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("group", "recording") else "right")
    totals: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n, (group, name, samples, turns) in enumerate(voice_sets()):
            versions = [samples]
            if telephone:
                versions.append(through_line(samples, Path(tmp) / f"{n}.wav"))
            row = [group, name, str(len(turns)), str(len({t[2] for t in turns}))]
            tally = totals.setdefault(group, [0, 0, 0])
            tally[0] += len(turns)
            for version, audio in enumerate(versions):
                right, two, separation = score_voices(audio, turns)
                tally[1 + version] += right
                row += ["2" if two else "1", f"{separation:.2f}", f"{right / len(turns):.0%}"]
            table.add_row(*row)
    for group, (count, *rights) in totals.items():
        shares = [f"{r / count:.0%}" for r in rights]
        table.add_row(
            group,
            "all",
            str(count),
            "",
            "",
            "",
            shares[0],
            *(["", "", shares[1]] if telephone else []),
        )
    return table


def right_speakers(segments: Sequence[Segment], turns: Sequence[Turn]) -> tuple[int, int]:
    """Segments labelled with the speaker of the turn they overlap most, and ``unknown`` ones."""

    def truth(segment: Segment) -> str:
        return max(turns, key=lambda t: min(t[1], segment.end) - max(t[0], segment.start))[2]

    right = sum(s.speaker == truth(s) for s in segments)
    unknown = sum(s.speaker == "unknown" for s in segments)
    return right, unknown


def _streamed(engine: SpeechEngine, path: Path) -> tuple[list[Segment], list[Segment]]:
    """A live call's segments as labelled when committed, and as the service stores them
    at the end of the call (every segment with the whole call's evidence)."""
    audio = decode_file(path)
    call = engine.new_call(PcmFormat(SAMPLE_RATE, 1), roles=TextRoleResolver())
    pcm = to_pcm_s16le(audio.samples)
    step = SAMPLE_RATE // 10 * 2
    events = [e for o in range(0, len(pcm), step) for e in call.feed(pcm[o : o + step])]
    finals = [e.segment for e in [*events, *call.finish()] if isinstance(e, FinalSegment)]
    return finals, call.relabel(finals)


def role_table(
    engine: SpeechEngine,
    telephone: bool = True,
    modes: Sequence[str] = ("file", "live"),
    dev_limit: int | None = None,
) -> Table:
    table = Table(title="Rep or customer end to end (recognised segments)")
    for column in ("mono call", "line", "mode", "segments", "right", "unknown", "confidence"):
        table.add_column(column, justify="left" if column == "mono call" else "right")
    totals: dict[tuple[str, str], list[int]] = {}
    lines = ("clean", "phone") if telephone else ("clean",)
    with tempfile.TemporaryDirectory() as tmp:
        for stem in [*MONO_CALLS, *dev_calls()[:dev_limit]]:
            turns = _timeline(stem)
            samples = mono_of(stem)
            for line in lines:
                path = Path(tmp) / f"{stem.name}.{line}.wav"
                if line == "phone":
                    through_line(samples, path)
                else:
                    write_wav(path, samples)
                runs: dict[str, list[Segment]] = {}
                if "file" in modes:
                    runs["file"] = engine.transcribe_file(path, roles=TextRoleResolver()).segments
                if "live" in modes:
                    runs["live"], runs["live, at the end"] = _streamed(engine, path)
                for mode, segments in runs.items():
                    right, unknown = right_speakers(segments, turns)
                    tally = totals.setdefault((line, mode), [0, 0])
                    tally[0] += right
                    tally[1] += len(segments)
                    confidences = [s.speaker_confidence for s in segments if s.speaker_confidence]
                    table.add_row(
                        stem.name,
                        line,
                        mode,
                        str(len(segments)),
                        f"{right}/{len(segments)}",
                        str(unknown),
                        f"{np.mean(confidences):.2f}" if confidences else "–",
                    )
    for (line, mode), (right, count) in totals.items():
        table.add_row("all", line, mode, str(count), f"{right / max(count, 1):.0%}", "", "")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-asr", action="store_true", help="only the acoustic table")
    parser.add_argument("--no-telephone", action="store_true", help="clean recordings only")
    parser.add_argument("--modes", nargs="+", default=["file", "live"], choices=["file", "live"])
    parser.add_argument("--dev-calls", type=int, help="only the first N dev calls end to end")
    args = parser.parse_args()
    console = Console(width=140)
    console.print(voice_table(telephone=not args.no_telephone))
    if not args.no_asr:
        engine = SpeechEngine(SpeechConfig())
        console.print(role_table(engine, not args.no_telephone, args.modes, args.dev_calls))
    console.print(
        "Synthetic calls: one TTS voice, the rep's pitched down (they differ mainly by pitch)."
    )


if __name__ == "__main__":
    main()
