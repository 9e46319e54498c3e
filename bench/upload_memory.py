"""Memory of a long uploaded recording, and how fast an over-long one is refused.

    .venv/bin/python -m bench.upload_memory [--hours 2] [--refuse-hours 24]

Builds, in a temp directory, a mono 16 kHz FLAC of ``--hours`` of silence with a devset
call (dc02) at the start and at every hour mark, then, each in a fresh process so that
peak RSS is its own:

- ``service``: the real service on a loopback port (temp SQLite, the bundled model loaded
  first), the file uploaded to ``POST /v1/calls`` and analysed to the end. Peak RSS before
  the upload (service and model ready) and after the analysis.
- ``whole``: what the service did before uploads were decoded in chunks — the whole file
  decoded into memory, then transcribed (``decode_file`` + ``transcribe_audio``).

Then a ``--refuse-hours`` file is uploaded to the service, which must refuse it (422
``too_long``, the default limit being 240 minutes) from its header, without decoding it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import av
import httpx
import numpy as np

from speech.audio import SAMPLE_RATE, decode_file

ROOT = Path(__file__).resolve().parents[1]
SPEECH = ROOT.parent / "shared" / "devset" / "audio" / "dc02.mono.wav"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_recording(path: Path, hours: float, *, speech_every_s: int = 3600) -> Path:
    """Silence with the devset clip at 0 s and every ``speech_every_s``; written a second
    at a time, so building a day of audio takes no memory either."""
    clip = (decode_file(SPEECH).samples[0] * 32767).astype(np.int16)
    total = int(hours * 3600)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        for second in range(total):
            samples = np.zeros(SAMPLE_RATE, np.int16)
            into = second % speech_every_s
            piece = clip[into * SAMPLE_RATE : (into + 1) * SAMPLE_RATE]
            samples[: len(piece)] = piece
            frame = av.AudioFrame.from_ndarray(samples[None], format="s16", layout="mono")
            frame.sample_rate, frame.pts = SAMPLE_RATE, second * SAMPLE_RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def run_service(path: Path, refuse: Path | None) -> dict[str, object]:
    from copilot.commands.service import demo_settings, running_service

    with tempfile.TemporaryDirectory(prefix="copilot-bench-") as tmp:
        settings = demo_settings(Path(tmp))
        service = settings.service.model_copy(
            update={"upload_dir": Path(tmp) / "uploads", "preload_speech": True}
        )
        settings = settings.model_copy(update={"service": service})
        with (
            running_service(settings) as (url, key),
            httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=600
            ) as http,
        ):
            while not http.get("/healthz").json()["speech_loaded"]:
                time.sleep(0.2)
            before = peak_rss_mb()
            started = time.monotonic()
            with path.open("rb") as handle:
                created = http.post("/v1/calls", files={"file": (path.name, handle)})
            created.raise_for_status()
            call_id = created.json()["call_id"]
            while (call := http.get(f"/v1/calls/{call_id}").json())["status"] == "analysing":
                time.sleep(0.5)
            result: dict[str, object] = {
                "status": call["status"],
                "error": call["error"],
                "audio_s": call["duration_s"],
                "analysis_s": round(time.monotonic() - started, 1),
                "rss_before_mb": round(before, 1),
                "rss_after_mb": round(peak_rss_mb(), 1),
            }
            if refuse is not None:
                started = time.monotonic()
                with refuse.open("rb") as handle:
                    refused = http.post("/v1/calls", files={"file": (refuse.name, handle)})
                result["refused"] = {
                    "status": refused.status_code,
                    "body": refused.json(),
                    "seconds": round(time.monotonic() - started, 2),
                    "mb": round(refuse.stat().st_size / 2**20, 1),
                }
    return result


def run_whole(path: Path) -> dict[str, object]:
    from copilot.engines import speech_engine

    engine = speech_engine()
    before = peak_rss_mb()
    started = time.monotonic()
    transcript = engine.transcribe_audio(decode_file(path))
    return {
        "audio_s": transcript.duration,
        "analysis_s": round(time.monotonic() - started, 1),
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--refuse-hours", type=float, default=24.0)
    parser.add_argument("--mode", choices=["service", "whole"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--refuse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode == "service":
        print(json.dumps(run_service(args.file, args.refuse)))
        return
    if args.mode == "whole":
        print(json.dumps(run_whole(args.file)))
        return
    with tempfile.TemporaryDirectory(prefix="copilot-bench-audio-") as tmp:
        long = write_recording(Path(tmp) / f"{args.hours:g}h.flac", args.hours)
        day = write_recording(Path(tmp) / f"{args.refuse_hours:g}h.flac", args.refuse_hours)
        print(
            f"{long.name}: {long.stat().st_size / 2**20:.1f} MiB; "
            f"{day.name}: {day.stat().st_size / 2**20:.1f} MiB"
        )
        for mode in ("service", "whole"):
            command = [sys.executable, "-m", "bench.upload_memory", "--mode", mode]
            command += ["--file", str(long)]
            if mode == "service":
                command += ["--refuse", str(day)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            lines = done.stdout.strip().splitlines()
            print(f"{mode}: {lines[-1] if lines else done.stderr[-2000:]}")


if __name__ == "__main__":
    main()
