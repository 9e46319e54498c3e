"""Concurrent live calls through the real service: do N real-time stereo calls keep up?

    .venv/bin/python -m bench.service [--calls 1 4 6 8 10] [--speed 1.0] [--batch on|off]
        [--replicas 2 --threads 1] [--json results.json]

For each N, the service starts on a loopback port (temp SQLite, the default engines, the
bundled Whisper model) and N clients stream the devset calls (dc01, dc02 alternating) over
the audio WebSocket at real time, all at once, while watching their events sockets. Figures:

- final latency: wall seconds from the moment a segment's last voiced sample was sent to
  its ``transcript.final`` arriving at the client (what a rep sees);
- analysis per final: extraction + suggestion + compliance on the server (``/healthz``);
- partial gap: wall seconds between successive partials of one utterance in progress, as
  the client receives them (how often the rep's provisional text moves);
- lag: audio waiting for recognition, sampled every 0.25 s (partials pause above 2 s);
- CPU: seconds of CPU the whole process used per second of audio streamed (less
  sensitive than latency to other work on a shared machine);
- peak RSS of the whole process (server, model, clients).

A load "keeps up" when the final p95 stays ≤ 1.5 s and the partial gap p95 ≤ 1.2 s (the
targets of issue 16); the knee is the largest number of calls that keeps up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.timing import percentile
from copilot.client import ReplayResult, replay_call
from copilot.commands.service import demo_settings, running_service
from copilot.settings import Settings
from speech.audio import DecodedAudio, decode_file

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "audio"
FINAL_P95_TARGET_S = 1.5
PARTIAL_GAP_P95_TARGET_S = 1.2


@dataclass
class LoadResult:
    calls: int
    audio_s: float
    finals: int
    latency_p50: float
    latency_p95: float
    latency_max: float
    partials_per_call: float
    partial_gap_p95: float
    cpu_per_audio_s: float
    analysis_ms_p50: float | None
    analysis_ms_p95: float | None
    max_lag_s: float
    peak_rss_mb: float

    @property
    def keeps_up(self) -> bool:
        # No partial at all (NaN) counts as not keeping up: the rep saw nothing move.
        return (
            self.latency_p95 <= FINAL_P95_TARGET_S
            and self.partial_gap_p95 <= PARTIAL_GAP_P95_TARGET_S
        )


def partial_gaps(arrivals: list[tuple[float, dict[str, Any]]]) -> list[float]:
    """Seconds between successive partials with text of the same segment, in arrival
    order (a retraction, with empty text, is not an update the rep reads)."""
    last: dict[str, float] = {}
    gaps: list[float] = []
    for at, event in arrivals:
        if event["type"] != "transcript.partial" or not event["segment"]["text"]:
            continue
        segment = event["segment"]["id"]
        if segment in last:
            gaps.append(at - last[segment])
        last[segment] = at
    return gaps


async def run_load(
    url: str, key: str, audios: list[DecodedAudio], speed: float
) -> tuple[list[ReplayResult], list[float], float]:
    max_lag = 0.0
    done = asyncio.Event()

    async def sample_lag() -> None:
        nonlocal max_lag
        async with httpx.AsyncClient(base_url=url) as http:
            while not done.is_set():
                health = (await http.get("/healthz")).json()
                max_lag = max(max_lag, health["asr_lag_s"])
                await asyncio.sleep(0.25)

    arrivals: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in audios]

    def stamp(n: int) -> Any:
        return lambda event: arrivals[n].append((time.perf_counter(), event))

    sampler = asyncio.create_task(sample_lag())
    results = await asyncio.gather(
        *(
            replay_call(
                url,
                key,
                audio,
                call_id=f"bench-{n}",
                speed=speed,
                timeout_s=600,
                on_event=stamp(n),
            )
            for n, audio in enumerate(audios)
        )
    )
    done.set()
    await sampler
    gaps = [gap for call in arrivals for gap in partial_gaps(call)]
    return list(results), gaps, max_lag


def bench_settings(data_dir: Path, args: argparse.Namespace) -> Settings:
    """The demo settings (copied, never mutated) with the decoding layout asked for."""
    settings = demo_settings(data_dir)
    service = settings.service.model_copy(
        update={"asr_workers": args.replicas, "asr_threads_per_worker": args.threads}
    )
    batch = settings.speech.batch.model_copy(
        update={"enabled": args.batch == "on", "max_batch": args.max_batch}
    )
    speech = settings.speech.model_copy(update={"batch": batch})
    return settings.model_copy(update={"service": service, "speech": speech})


def measure(calls: int, args: argparse.Namespace, audios: list[DecodedAudio]) -> LoadResult:
    speed = args.speed
    chosen = [audios[n % len(audios)] for n in range(calls)]
    with tempfile.TemporaryDirectory(prefix="copilot-bench-") as tmp:
        settings = bench_settings(Path(tmp), args)
        with running_service(settings) as (url, key):
            # The model loads at start-up; wait for it so the first call does not pay for it.
            with httpx.Client(base_url=url) as http:
                while not http.get("/healthz").json()["speech_loaded"]:
                    asyncio.run(asyncio.sleep(0.1))
            cpu_before = time.process_time()
            results, gaps, max_lag = asyncio.run(run_load(url, key, chosen, speed))
            cpu_s = time.process_time() - cpu_before
            health = httpx.get(f"{url}/healthz").json()
    latencies = [x for r in results for x in r.final_latencies_s]
    partials = sum(1 for r in results for e in r.events if e["type"] == "transcript.partial")
    return LoadResult(
        calls=calls,
        audio_s=sum(a.duration for a in chosen),
        finals=len(latencies),
        latency_p50=percentile(latencies, 50),
        latency_p95=percentile(latencies, 95),
        latency_max=max(latencies),
        partials_per_call=partials / calls,
        partial_gap_p95=percentile(gaps, 95),
        cpu_per_audio_s=cpu_s / sum(a.duration for a in chosen),
        analysis_ms_p50=health["analysis_ms_p50"],
        analysis_ms_p95=health["analysis_ms_p95"],
        max_lag_s=max(max_lag, health["max_asr_lag_s"]),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 4, 6, 8, 10])
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument(
        "--batch", choices=["on", "off"], default="on", help="batched decoding across calls"
    )
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--replicas", type=int, default=2, help="model replicas (asr_workers)")
    parser.add_argument("--threads", type=int, default=1, help="threads per replica")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    audios = [decode_file(DEVSET / f"{name}.stereo.wav") for name in ("dc01", "dc02")]
    console = Console()
    table = Table(
        title=f"Concurrent live stereo calls (devset, ×{args.speed:g} real time, batching "
        f"{args.batch}, {args.replicas} replica(s) × {args.threads} thread(s))"
    )
    for column in (
        "calls",
        "audio s",
        "finals",
        "final p50 s",
        "final p95 s",
        "final max s",
        "partials/call",
        "partial gap p95 s",
        "CPU s / audio s",
        "analysis p50 ms",
        "analysis p95 ms",
        "max lag s",
        "peak RSS MB",
        "keeps up",
    ):
        table.add_column(column, justify="right")
    results: list[LoadResult] = []
    for calls in args.calls:
        console.print(f"running {calls} concurrent call(s)…")
        r = measure(calls, args, audios)
        results.append(r)
        table.add_row(
            str(r.calls),
            f"{r.audio_s:.0f}",
            str(r.finals),
            f"{r.latency_p50:.2f}",
            f"{r.latency_p95:.2f}",
            f"{r.latency_max:.2f}",
            f"{r.partials_per_call:.0f}",
            f"{r.partial_gap_p95:.2f}",
            f"{r.cpu_per_audio_s:.2f}",
            f"{r.analysis_ms_p50 or 0:.1f}",
            f"{r.analysis_ms_p95 or 0:.1f}",
            f"{r.max_lag_s:.2f}",
            f"{r.peak_rss_mb:.0f}",
            "yes" if r.keeps_up else "no",
        )
    console.print(table)
    console.print(
        "final latency: last voiced sample sent → final received (client side); analysis: "
        "extraction + suggestion + compliance per final (server side); peak RSS: whole "
        "process (service, model, clients); partial gap: between successive partials of "
        "one utterance (client side)."
    )
    kept_up = [r.calls for r in results if r.keeps_up]
    console.print(
        f"knee (largest N with final p95 ≤ {FINAL_P95_TARGET_S} s and partial gap p95 ≤ "
        f"{PARTIAL_GAP_P95_TARGET_S} s): {max(kept_up) if kept_up else 'none'}"
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": [{**asdict(r), "keeps_up": r.keeps_up} for r in results],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
