"""One client floods a live socket while another rep's call streams in real time.

    .venv/bin/python -m bench.flood [--flood-minutes 100] [--modes paced unpaced]

The service runs in a child process (temp SQLite, default engines, the bundled Whisper
model) so its memory is measured alone. In each mode one client pushes ``--flood-minutes``
of stereo audio (dc01, looped) over the audio WebSocket as fast as the socket takes it,
while a second client streams dc02 at real time and watches its events. The flooder gives
up when the real-time call has its summary, so a run is bounded (~40 s per mode).

- ``paced``: the default settings (audio read at ≤ 1.5× real time after a 5 s burst,
  ≤ 20 s queued for recognition per call; copilot/service/pacing.py);
- ``unpaced``: pacing switched off (speed limit and queue bound set huge): how the
  service behaved before.

Figures: the server's RSS growth (peak VmHWM minus RSS once the model is loaded), the
real-time call's partial gap p95 (seconds between consecutive partials) and final latency
p50/p95, and what happened to the flooder (audio the server took, at what speed, how the
socket ended).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import websockets
from rich.console import Console
from rich.table import Table

from bench.timing import percentile
from copilot.client import replay_call, socket_token, ws_url
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "audio"
FRAME_BYTES = SAMPLE_RATE // 10 * 4  # 100 ms of stereo int16
UNPACED = {"max_audio_speed": 1e6, "audio_burst_s": 1e6, "max_queued_audio_s": 1e6}


@dataclass
class FloodResult:
    mode: str
    rss_base_mb: float
    rss_growth_mb: float
    partials: int
    partial_gap_p95_s: float
    final_p50_s: float
    final_p95_s: float
    flood_audio_s: float
    flood_recognised_s: float
    flood_wall_s: float
    flood_end: str


def _serve(data_dir: str, service: dict[str, float], conn: Connection) -> None:
    """In the child process: the service until the parent says stop."""
    from copilot.commands.service import demo_settings, running_service

    settings = demo_settings(Path(data_dir))
    settings = settings.model_copy(update={"service": settings.service.model_copy(update=service)})
    with running_service(settings) as (url, key):
        conn.send((url, key))
        conn.recv()


def _rss_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _flood(
    url: str, key: str, pcm: bytes, seconds: float, done: asyncio.Event
) -> dict[str, Any]:
    """Push ``seconds`` of audio as fast as possible until ``done``; what the server took."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers) as http:
        token = await socket_token(http, "flooder")
    sent = 0
    total = int(seconds * SAMPLE_RATE) * 4
    began = time.perf_counter()
    end = "gave up (the real-time call was over)"
    try:
        async with websockets.connect(
            ws_url(url, f"/v1/calls/flooder/audio?token={token}"), max_size=2**22
        ) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": SAMPLE_RATE, "channels": 2}))
            assert json.loads(await ws.recv())["type"] == "started"
            while sent < total and not done.is_set():
                offset = sent % (len(pcm) - FRAME_BYTES)
                await ws.send(pcm[offset : offset + FRAME_BYTES])
                sent += FRAME_BYTES
            if sent >= total:
                end = "sent it all"
    except websockets.ConnectionClosed as exc:
        if exc.rcvd is not None:
            end = f"closed by the server: {exc.rcvd.code} {exc.rcvd.reason}"
        else:  # held back so long that its own keepalive pings went unanswered
            sent_close = exc.sent
            end = "closed itself: " + (
                f"{sent_close.code} {sent_close.reason}" if sent_close else "?"
            )
    wall = time.perf_counter() - began
    # What left the client may still sit in socket buffers: count what the server read.
    return {"sent_s": sent / 4 / SAMPLE_RATE, "wall_s": wall, "end": end}


async def _run(url: str, key: str, pid: int, minutes: float) -> dict[str, Any]:
    flood_pcm = to_pcm_s16le(decode_file(DEVSET / "dc01.stereo.wav").samples)
    call = decode_file(DEVSET / "dc02.stereo.wav")
    done = asyncio.Event()
    peak = 0.0
    arrivals: list[float] = []

    async def watch_rss() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mb(pid, "VmHWM"))
            await asyncio.sleep(0.2)

    def on_event(event: dict[str, Any]) -> None:
        if event["type"] == "transcript.partial":
            arrivals.append(time.perf_counter())

    watcher = asyncio.create_task(watch_rss())
    flooder = asyncio.create_task(_flood(url, key, flood_pcm, minutes * 60, done))
    await asyncio.sleep(1.0)  # the flood is on before the rep's call starts
    result = await replay_call(
        url, key, call, call_id="real-time", speed=1.0, on_event=on_event, timeout_s=120
    )
    done.set()
    flood = await flooder
    await watcher
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as http:
        health = (await http.get("/healthz")).json()
        # Audio of the flood the server recognised (advanced with each final).
        flood["recognised_s"] = (await http.get("/v1/calls/flooder")).json()["duration_s"]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    return {
        "peak": max(peak, _rss_mb(pid, "VmHWM")),
        "partials": len(arrivals),
        "gap_p95": percentile(gaps, 95) if gaps else float("nan"),
        "final_p50": percentile(result.final_latencies_s, 50),
        "final_p95": percentile(result.final_latencies_s, 95),
        "flood": flood,
        "max_lag": health["max_asr_lag_s"],
    }


def measure(mode: str, minutes: float) -> FloodResult:
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    with tempfile.TemporaryDirectory(prefix="copilot-flood-") as tmp:
        process = context.Process(
            target=_serve, args=(tmp, UNPACED if mode == "unpaced" else {}, child), daemon=True
        )
        process.start()
        while not parent.poll(0.5):
            if not process.is_alive():
                raise SystemExit("the service did not start (see its error above)")
        url, key = parent.recv()
        assert process.pid is not None
        with httpx.Client(base_url=url) as http:
            while not http.get("/healthz").json()["speech_loaded"]:
                time.sleep(0.1)
        base = _rss_mb(process.pid, "VmRSS")
        figures = asyncio.run(_run(url, key, process.pid, minutes))
        # No graceful stop: an unpaced server would first recognise the whole backlog.
        process.kill()
        process.join()
    flood = figures["flood"]
    return FloodResult(
        mode=mode,
        rss_base_mb=base,
        rss_growth_mb=figures["peak"] - base,
        partials=figures["partials"],
        partial_gap_p95_s=figures["gap_p95"],
        final_p50_s=figures["final_p50"],
        final_p95_s=figures["final_p95"],
        flood_audio_s=flood["sent_s"],
        flood_recognised_s=flood["recognised_s"],
        flood_wall_s=flood["wall_s"],
        flood_end=flood["end"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flood-minutes", type=float, default=100.0)
    parser.add_argument(
        "--modes", nargs="+", choices=["paced", "unpaced"], default=["paced", "unpaced"]
    )
    args = parser.parse_args()
    console = Console(width=200)
    table = Table(title=f"A {args.flood_minutes:g}-minute flood beside a real-time call (dc02)")
    for column in (
        "mode",
        "server RSS MB",
        "RSS growth MB",
        "partials",
        "partial gap p95 s",
        "final p50 s",
        "final p95 s",
        "flood sent s",
        "flood recognised s",
        "in wall s",
        "recognised ×",
        "flooder",
    ):
        table.add_column(column, justify="right")
    for mode in args.modes:
        console.print(f"{mode}: starting the service, flooding…")
        r = measure(mode, args.flood_minutes)
        table.add_row(
            r.mode,
            f"{r.rss_base_mb:.0f}",
            f"{r.rss_growth_mb:+.0f}",
            str(r.partials),
            f"{r.partial_gap_p95_s:.2f}",
            f"{r.final_p50_s:.2f}",
            f"{r.final_p95_s:.2f}",
            f"{r.flood_audio_s:.0f}",
            f"{r.flood_recognised_s:.0f}",
            f"{r.flood_wall_s:.1f}",
            f"{r.flood_recognised_s / r.flood_wall_s:.1f}",
            r.flood_end,
        )
    console.print(table)
    console.print(
        "flood sent: what the flooding client got into its socket (the server reads it at its "
        "pace; the rest waits in TCP buffers); recognised: the flooder's call duration on the "
        "server; RSS growth: server VmHWM − RSS after the "
        "model loaded; partial gap: seconds between the real-time call's partials."
    )


if __name__ == "__main__":
    main()
