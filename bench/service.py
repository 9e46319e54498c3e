"""Concurrent live calls through the real service: do N real-time stereo calls keep up?

    .venv/bin/python -m bench.service [--calls 1 4 6] [--speed 1.0]

For each N, the service starts on a loopback port (temp SQLite, the default engines, the
bundled Whisper model) and N clients stream the devset calls (dc01, dc02 alternating) over
the audio WebSocket at real time, all at once, while watching their events sockets. Figures:

- final latency: wall seconds from the moment a segment's last voiced sample was sent to
  its ``transcript.final`` arriving at the client (what a rep sees);
- analysis per final: extraction + suggestion + compliance on the server (``/healthz``);
- lag: audio waiting for recognition, sampled every 0.25 s (partials pause above 2 s);
- peak RSS of the whole process (server, model, clients).

A load "keeps up" when the final p95 stays ≤ 2.0 s and the lag never passes 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.timing import percentile
from copilot.client import ReplayResult, replay_call
from copilot.commands.service import demo_settings, running_service
from speech.audio import DecodedAudio, decode_file

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "audio"


@dataclass
class LoadResult:
    calls: int
    audio_s: float
    finals: int
    latency_p50: float
    latency_p95: float
    latency_max: float
    partials_per_call: float
    analysis_ms_p50: float | None
    analysis_ms_p95: float | None
    max_lag_s: float
    peak_rss_mb: float

    @property
    def keeps_up(self) -> bool:
        return self.latency_p95 <= 2.0 and self.max_lag_s <= 2.0


async def run_load(
    url: str, key: str, audios: list[DecodedAudio], speed: float
) -> tuple[list[ReplayResult], float]:
    max_lag = 0.0
    done = asyncio.Event()

    async def sample_lag() -> None:
        nonlocal max_lag
        async with httpx.AsyncClient(base_url=url) as http:
            while not done.is_set():
                health = (await http.get("/healthz")).json()
                max_lag = max(max_lag, health["asr_lag_s"])
                await asyncio.sleep(0.25)

    sampler = asyncio.create_task(sample_lag())
    results = await asyncio.gather(
        *(
            replay_call(url, key, audio, call_id=f"bench-{n}", speed=speed, timeout_s=600)
            for n, audio in enumerate(audios)
        )
    )
    done.set()
    await sampler
    return list(results), max_lag


def measure(calls: int, speed: float, audios: list[DecodedAudio]) -> LoadResult:
    chosen = [audios[n % len(audios)] for n in range(calls)]
    with tempfile.TemporaryDirectory(prefix="copilot-bench-") as tmp:
        settings = demo_settings(Path(tmp))
        with running_service(settings) as (url, key):
            # The model loads at start-up; wait for it so the first call does not pay for it.
            with httpx.Client(base_url=url) as http:
                while not http.get("/healthz").json()["speech_loaded"]:
                    asyncio.run(asyncio.sleep(0.1))
            results, max_lag = asyncio.run(run_load(url, key, chosen, speed))
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
        analysis_ms_p50=health["analysis_ms_p50"],
        analysis_ms_p95=health["analysis_ms_p95"],
        max_lag_s=max(max_lag, health["max_asr_lag_s"]),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 4, 6])
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    audios = [decode_file(DEVSET / f"{name}.stereo.wav") for name in ("dc01", "dc02")]
    console = Console()
    table = Table(title=f"Concurrent live stereo calls (devset, ×{args.speed:g} real time)")
    for column in (
        "calls",
        "audio s",
        "finals",
        "final p50 s",
        "final p95 s",
        "final max s",
        "partials/call",
        "analysis p50 ms",
        "analysis p95 ms",
        "max lag s",
        "peak RSS MB",
        "keeps up",
    ):
        table.add_column(column, justify="right")
    for calls in args.calls:
        console.print(f"running {calls} concurrent call(s)…")
        r = measure(calls, args.speed, audios)
        table.add_row(
            str(r.calls),
            f"{r.audio_s:.0f}",
            str(r.finals),
            f"{r.latency_p50:.2f}",
            f"{r.latency_p95:.2f}",
            f"{r.latency_max:.2f}",
            f"{r.partials_per_call:.0f}",
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
        "process (service, model, clients)."
    )


if __name__ == "__main__":
    main()
