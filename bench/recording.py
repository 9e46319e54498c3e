"""What keeping a recording costs the live path: one ``WavRecording.write`` per chunk.

    .venv/bin/python -m bench.recording [--minutes 10]

Writes ``--minutes`` of 100 ms stereo 16 kHz frames (the usual chunk) to a file in a
temporary folder, as a call's worker thread does just before recognising each chunk, and
prints the p50 / p95 / p99 time per frame (target: well under 1 ms).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.timing import percentile, pin_to_one_core
from copilot.service.audio_writer import WavRecording

SAMPLE_RATE = 16_000
TARGET_MS = 1.0


def frame_times(folder: Path, frames: int) -> list[float]:
    """Milliseconds per write of ``frames`` 100 ms stereo frames of speech-like noise."""
    rng = np.random.default_rng(7)
    frame = rng.normal(0, 0.1, (2, SAMPLE_RATE // 10)).astype(np.float32)
    recording = WavRecording(folder / "call.wav", sample_rate=SAMPLE_RATE, channels=2)
    recording.write(frame)  # opens the file
    timings = []
    for _ in range(frames):
        started = time.perf_counter()
        recording.write(frame)
        timings.append((time.perf_counter() - started) * 1000)
    recording.close()
    if recording.failed:
        raise SystemExit(f"the recording failed in {folder}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    frames = int(args.minutes * 600)
    with tempfile.TemporaryDirectory() as tmp:
        timings = frame_times(Path(tmp), frames)
    table = Table(title=f"recording a call, 100 ms stereo frames, {pin_to_one_core()}")
    for column in ("frames", "p50 ms", "p95 ms", "p99 ms", "target"):
        table.add_column(column, justify="right")
    p99 = percentile(timings, 99)
    table.add_row(
        f"{frames:,}",
        f"{percentile(timings, 50):.3f}",
        f"{percentile(timings, 95):.3f}",
        f"{p99:.3f}",
        f"< {TARGET_MS:g} ms: {'ok' if p99 < TARGET_MS else 'MISSED'}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
