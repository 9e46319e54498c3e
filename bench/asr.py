"""Speech benchmark: accuracy, compute, live latency, partial cadence and memory.

    .venv/bin/python -m bench.asr [--calls DIR] [--speed 1.0]

DIR holds ``<id>.stereo.wav`` with ``<id>.timeline.json`` (the devset by default). Latency
is measured against the timeline's true end of each turn, on a real-time replay.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.timing import percentile
from copilot.events import TranscriptFinal
from copilot.replay import ReplayReport, replay
from speech.audio import decode_file
from speech.config import SpeechConfig
from speech.engine import SpeechEngine
from speech.normalize import edit_distance, normalize_for_scoring

DEFAULT_CALLS = Path(__file__).resolve().parents[1].parent / "shared" / "devset" / "audio"


@dataclass
class CallResult:
    name: str
    duration: float
    compute_s: float
    errors: dict[str, tuple[int, int]]  # speaker -> (edits, reference characters)
    latencies: list[float]
    cadence: list[float]


def final_latencies(report: ReplayReport, timeline: list[dict], speed: float) -> list[float]:
    """Per turn: wall time of its last final minus the moment the speaker truly stopped."""
    latencies = []
    for turn in timeline:
        finals = [
            e
            for e in report.finals
            if e.event.segment.speaker == turn["speaker"]
            and e.event.segment.start < turn["end"]
            and e.event.segment.end > turn["start"]
        ]
        if finals:
            latencies.append(max(e.wall_s for e in finals) - turn["end"] / speed)
    return latencies


def partial_cadence(report: ReplayReport, speed: float) -> list[float]:
    """Gaps between successive transcript updates of a segment while it is being spoken,
    counted from the speech onset."""
    updates: dict[str, list[float]] = {}
    starts: dict[str, float] = {}
    for timed in report.events:
        segment = timed.event.segment
        if not segment.text:
            continue
        starts.setdefault(segment.id, segment.start / speed)
        if isinstance(timed.event, TranscriptFinal):
            continue
        updates.setdefault(segment.id, []).append(timed.wall_s)
    gaps = []
    for segment_id, times in updates.items():
        previous = starts[segment_id]
        for moment in times:
            gaps.append(moment - previous)
            previous = moment
    return gaps


def run_call(engine: SpeechEngine, wav: Path, speed: float) -> CallResult:
    timeline = json.loads(
        wav.with_name(wav.name.replace(".stereo.wav", ".timeline.json")).read_text()
    )
    audio = decode_file(wav)
    started = time.perf_counter()
    transcript = engine.transcribe_audio(audio)
    compute = time.perf_counter() - started
    errors = {}
    for speaker in ("rep", "customer"):
        ref = normalize_for_scoring("".join(t["text"] for t in timeline if t["speaker"] == speaker))
        hyp = normalize_for_scoring(
            "".join(s.text for s in transcript.segments if s.speaker == speaker)
        )
        errors[speaker] = (edit_distance(ref, hyp), len(ref))
    report = replay(engine, audio, speed=speed)
    return CallResult(
        wav.name.split(".")[0],
        audio.duration,
        compute,
        errors,
        final_latencies(report, timeline, speed),
        partial_cadence(report, speed),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=Path, default=DEFAULT_CALLS)
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed (1 = real time)")
    args = parser.parse_args()
    wavs = sorted(args.calls.glob("*.stereo.wav"))
    if not wavs:
        raise SystemExit(f"no *.stereo.wav with timelines in {args.calls}")
    load_started = time.perf_counter()
    engine = SpeechEngine(SpeechConfig())
    load_s = time.perf_counter() - load_started
    results = [run_call(engine, wav, args.speed) for wav in wavs]

    table = Table(title=f"speech benchmark (replay ×{args.speed:g}; model load {load_s:.1f} s)")
    for column in (
        "call",
        "audio s",
        "compute s/s",
        "CER rep",
        "CER customer",
        "final p50",
        "final p95",
        "partial gap p50",
        "p95",
        "max",
    ):
        table.add_column(column, justify="right")

    def row(name: str, rs: list[CallResult]) -> None:
        duration = sum(r.duration for r in rs)
        lat = [x for r in rs for x in r.latencies]
        gaps = [x for r in rs for x in r.cadence]
        cer = {
            s: sum(r.errors[s][0] for r in rs) / max(1, sum(r.errors[s][1] for r in rs))
            for s in ("rep", "customer")
        }
        table.add_row(
            name,
            f"{duration:.1f}",
            f"{sum(r.compute_s for r in rs) / duration:.3f}",
            f"{cer['rep']:.3f}",
            f"{cer['customer']:.3f}",
            f"{percentile(lat, 50):.2f}",
            f"{percentile(lat, 95):.2f}",
            f"{statistics.median(gaps) if gaps else float('nan'):.2f}",
            f"{percentile(gaps, 95):.2f}",
            f"{max(gaps, default=float('nan')):.2f}",
        )

    for result in results:
        row(result.name, [result])
    row("all", results)
    console = Console(width=150)
    console.print(table)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    console.print(
        f"peak RSS {peak_mb:.0f} MB; compute = file transcription of the stereo call "
        "(both channels), wall seconds per audio second, on this machine"
    )


if __name__ == "__main__":
    main()
