"""``copilot batch`` throughput, local processes vs a local Ray head, and a kill mid-batch.

    .venv/bin/python -m bench.batch [--recordings 200] [--workers N] [--skip-ray]
        [--seconds MIN MAX]

Builds ``--recordings`` different recordings in a temporary folder by mixing the devset
calls (``../shared/devset/audio/*.wav``: windows cut at random, two windows joined, some
resampled to 8 kHz telephone rate or 44.1 kHz, some quieter), then, each on its own fresh
SQLite database:

1. the batch through ``--workers`` local worker processes (default: one per core);
2. the same recordings through a Ray head started on loopback (``ray.init("local")``);
3. ``copilot batch`` as a subprocess, killed (SIGKILL, driver and workers) once about half
   the recordings are done, then run again: the counts come from the store.

Prints a table: recordings, audio hours, wall seconds, and audio hours per wall-clock hour
per core. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from copilot.batch.pools import LocalPool, Pool, RayPool
from copilot.batch.runner import Owner, batch_state, close_state, prepare, run_batch
from copilot.batch.sources import content_hash, read_source
from copilot.settings import Settings, get_settings
from copilot.store.db import DatabaseConfig, make_engine, migrate, session_factory
from copilot.store.models import BatchItem, Call, CallEvent
from copilot.store.repo import ensure_demo_tenant

DEVSET_AUDIO = Path(__file__).resolve().parents[2] / "shared" / "devset" / "audio"
RATE = 16_000


def load_calls() -> list[np.ndarray]:
    """Every devset recording as int16 samples (channels × frames) at 16 kHz."""
    calls = []
    for path in sorted(DEVSET_AUDIO.glob("*.wav")):
        with wave.open(str(path)) as wav:
            assert wav.getsampwidth() == 2, f"{path}: expected 16-bit PCM"
            frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
            samples = frames.reshape(-1, wav.getnchannels()).T
            calls.append(resample(samples, wav.getframerate(), RATE))
    if not calls:
        raise SystemExit(f"no devset recordings under {DEVSET_AUDIO}")
    return calls


def resample(samples: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to:
        return samples
    n = int(samples.shape[1] * to / rate)
    grid = np.linspace(0, samples.shape[1] - 1, n)
    return np.stack([np.interp(grid, np.arange(samples.shape[1]), ch) for ch in samples]).astype(
        np.int16
    )


def variant(
    calls: list[np.ndarray], rng: random.Random, seconds: tuple[float, float] = (8, 30)
) -> tuple[np.ndarray, int]:
    """One new recording: a window of a call, or two windows of two calls joined; at a
    telephone or a high sample rate now and then, sometimes quieter."""

    def window(call: np.ndarray) -> np.ndarray:
        length = min(call.shape[1], int(rng.uniform(*seconds) * RATE))
        start = rng.randrange(0, call.shape[1] - length + 1)
        return call[:, start : start + length]

    first = window(rng.choice(calls))
    if rng.random() < 0.4:
        second = window(rng.choice(calls))
        if second.shape[0] != first.shape[0]:  # mono with stereo: both as the first is
            second = np.repeat(second[:1], first.shape[0], axis=0)[: first.shape[0]]
        first = np.concatenate([first, second], axis=1)
    if rng.random() < 0.3:
        first = (first * rng.uniform(0.3, 0.8)).astype(np.int16)
    rate = rng.choice([RATE, RATE, RATE, 8_000, 44_100])
    return resample(first, RATE, rate), rate


def build_recordings(
    folder: Path, count: int, seed: int, seconds: tuple[float, float] = (8, 30)
) -> float:
    """``count`` recordings with different content; returns their total seconds."""
    rng = random.Random(seed)
    calls = load_calls()
    seen: set[str] = set()
    total = 0.0
    while len(seen) < count:
        samples, rate = variant(calls, rng, seconds)
        path = folder / f"call{len(seen):04d}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(samples.shape[0])
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.T.astype("<i2").tobytes())
        digest = content_hash(path)
        if digest in seen:  # the same window twice: not a different recording
            path.unlink()
            continue
        seen.add(digest)
        total += samples.shape[1] / rate
    return total


def fresh_database(url: str) -> Settings:
    engine = make_engine(url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        ensure_demo_tenant(session)
    engine.dispose()
    settings = get_settings()
    return settings.model_copy(update={"database": DatabaseConfig(url=url)})


def timed_run(settings: Settings, folder: Path, make_pool: object) -> dict[str, float]:
    engine = make_engine(settings.database.url)
    sessions = session_factory(engine)
    state = batch_state(settings, sessions)
    try:
        run_id = prepare(sessions, folder, read_source(folder), Owner(), "bench")
        started = time.perf_counter()
        pool: Pool = make_pool()  # type: ignore[operator]
        ready = time.perf_counter() - started
        counts = run_batch(state, run_id, pool)
        wall = time.perf_counter() - started
    finally:
        close_state(state)
        engine.dispose()
    return {
        "done": counts["done"],
        "failed": counts["failed"],
        "audio_s": counts.audio_s,
        "wall_s": wall,
        "startup_s": ready,
        "slots": pool.slots,
    }


def kill_and_resume(settings: Settings, folder: Path, workers: int, total: int) -> dict[str, int]:
    env = {**os.environ, "COPILOT_DATABASE__URL": settings.database.url}
    command = [
        sys.executable,
        "-c",
        "from copilot.cli import app; app(prog_name='copilot')",
        "batch",
        str(folder),
        "--workers",
        str(workers),
        "--json",
    ]
    engine = make_engine(settings.database.url)
    sessions = session_factory(engine)

    def statuses() -> Counter[str]:
        with sessions() as session:
            return Counter(session.scalars(select(BatchItem.status)))

    driver = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    while statuses()["done"] < max(1, total // 2):
        if driver.poll() is not None:
            raise SystemExit(f"the batch ended before the kill: {driver.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    at_kill = statuses()
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    final = json.loads(resumed.stdout.strip().splitlines()[-1])
    with sessions() as session:
        calls = session.scalars(select(Call)).all()
        per_content = Counter(c.audio_format.get("sha256") for c in calls)
        summaries = session.scalar(
            select(func.count()).select_from(CallEvent).where(CallEvent.type == "call.summary")
        )
    engine.dispose()
    return {
        "done_at_kill": at_kill["done"],
        "running_at_kill": at_kill["running"],
        "pending_at_kill": at_kill["pending"],
        "done_after_resume": final.get("done", 0),
        "failed_after_resume": final.get("failed", 0),
        "calls": len(calls),
        "max_calls_per_recording": max(per_content.values(), default=0),
        "summary_events": summaries or 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument(
        "--seconds",
        type=float,
        nargs=2,
        default=(8.0, 30.0),
        metavar=("MIN", "MAX"),
        help="length range of each window cut from a devset call (two are joined 40%% of the time)",
    )
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        root = Path(tmp)
        folder = root / "recordings"
        folder.mkdir()
        audio_s = build_recordings(folder, args.recordings, args.seed, tuple(args.seconds))
        print(f"{args.recordings} recordings, {audio_s / 3600:.2f} h of audio, {cores} cores")

        results: dict[str, dict[str, float]] = {}
        settings = fresh_database(f"sqlite:///{root / 'local.db'}")
        results[f"local ×{args.workers}"] = timed_run(
            settings, folder, lambda: LocalPool(settings, args.workers)
        )
        if not args.skip_ray:
            settings = fresh_database(f"sqlite:///{root / 'ray.db'}")
            results[f"ray local head ({cores} CPU)"] = timed_run(
                settings,
                folder,
                lambda: RayPool(
                    settings,
                    "local",
                    num_cpus=cores,
                    include_dashboard=False,
                    _node_ip_address="127.0.0.1",
                ),
            )

        print()
        print("| backend | done | failed | audio h | wall s | start s | audio h / wall h / core |")
        print("|---|---|---|---|---|---|---|")
        for name, r in results.items():
            per_core = (r["audio_s"] / r["wall_s"]) / cores
            print(
                f"| {name} | {r['done']:.0f} | {r['failed']:.0f} | {r['audio_s'] / 3600:.3f} "
                f"| {r['wall_s']:.1f} | {r['startup_s']:.1f} | {per_core:.2f} |"
            )

        if not args.skip_kill:
            settings = fresh_database(f"sqlite:///{root / 'kill.db'}")
            kill = kill_and_resume(settings, folder, args.workers, args.recordings)
            print()
            print("kill mid-batch (SIGKILL to the driver and its workers), then resume:")
            print("| " + " | ".join(kill) + " |")
            print("|" + "---|" * len(kill))
            print("| " + " | ".join(str(v) for v in kill.values()) + " |")
            ok = (
                kill["done_after_resume"] == args.recordings
                and kill["calls"] == args.recordings
                and kill["max_calls_per_recording"] == 1
                and kill["summary_events"] == args.recordings
            )
            print("nothing lost, nothing twice" if ok else "MISMATCH: see the counts above")


if __name__ == "__main__":
    main()
