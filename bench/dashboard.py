"""The manager's pages on a large call history: p50/p95 per page on SQLite and PostgreSQL.

    .venv/bin/python -m bench.dashboard [--calls 2000] [--segments 100] [--rounds 20]
        [--backends sqlite postgresql]

For each database: an empty one (a temporary SQLite file; a throwaway PostgreSQL server
started from the Debian binaries, as the tests do) is filled by ``bench.seed_calls``, the
real service starts on it, a team manager signs in to the dashboard, and every page below
is fetched ``--rounds`` times (after one warm-up). Target: every analytics page and a
transcript search answer in ≤ 500 ms p95.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from bench.seed_calls import seed
from bench.timing import percentile
from copilot.commands.service import running_service
from copilot.service.config import ServiceConfig
from copilot.settings import Settings
from copilot.store.db import DatabaseConfig

TARGET_MS = 500.0
# (label, path); {call} and {account} are filled from the seeded data.
PAGES: list[tuple[str, str]] = [
    ("call library", "/dashboard/calls"),
    ("call library, filtered", "/dashboard/calls?objection=price&sort=duration"),
    ("transcript search 预算", "/dashboard/calls?q=预算"),
    ("transcript search 报价单", "/dashboard/calls?q=报价单"),
    ("search 预算 + objection filter", "/dashboard/calls?q=预算&objection=price"),
    ("call detail", "/dashboard/calls/{call}"),
    ("team analytics", "/dashboard/analytics"),
    ("team analytics, 12 weeks", "/dashboard/analytics?weeks=12"),
    ("team analytics, one rep", "/dashboard/analytics?rep={rep}"),
    ("accounts", "/dashboard/accounts"),
    ("decision chain of an account", "/dashboard/accounts/{account}"),
    ("scorecard disputes", "/dashboard/scorecards"),
]


@contextmanager
def sqlite_url() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="copilot-bench-"))
    try:
        yield f"sqlite:///{folder / 'seed.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgresql_url() -> Iterator[str]:
    from tests.dbfixtures import _pg_bindir, _start_cluster

    bindir = _pg_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries: apt-get install postgresql")
    server = _start_cluster(bindir)
    try:
        yield server.url(server.create_database())
    finally:
        if server.stop is not None:
            subprocess.run(server.stop, capture_output=True, timeout=60)
        if server.root is not None:
            shutil.rmtree(server.root, ignore_errors=True)


def sign_in(http: httpx.Client, key: str) -> None:
    form = http.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, "no login form"
    answer = http.post("/dashboard/login", data={"api_key": key, "csrf_token": token.group(1)})
    assert answer.status_code == 303, answer.text[:200]


Measured = tuple[int, int, list[float]]  # status, page size (bytes), times (ms)


def measure(http: httpx.Client, path: str, rounds: int) -> Measured:
    answer = http.get(path)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = http.get(path)
        times.append((time.perf_counter() - started) * 1000)
    return answer.status_code, len(answer.content), times


def run(backend: str, calls: int, segments: int, rounds: int) -> dict[str, Measured]:
    console = Console()
    opened = sqlite_url() if backend == "sqlite" else postgresql_url()
    with opened as url:
        started = time.perf_counter()
        key = seed(url, calls, segments)
        console.log(f"{backend}: seeded in {time.perf_counter() - started:.0f} s")
        settings = Settings(
            database=DatabaseConfig(url=url), service=ServiceConfig(preload_speech=False)
        )
        results: dict[str, Measured] = {}
        with running_service(settings) as (base, _):
            with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as http:
                sign_in(http, key)
                first = re.search(r'href="/dashboard/calls/(seed\d+)"', http.get(PAGES[0][1]).text)
                account = re.search(
                    r'href="/dashboard/accounts/([^"]+)"', http.get("/dashboard/accounts").text
                )
                # A rep of the manager's team: the first choice of the library's rep filter.
                rep = re.search(
                    r'<select name="rep"[^>]*>\s*<option value="">[^<]*</option>\s*'
                    r'<option value="([^"]+)"',
                    http.get("/dashboard/calls").text,
                )
                for label, path in PAGES:
                    filled = path.format(
                        call=first.group(1) if first else "seed000000",
                        account=account.group(1) if account else "ACC-0000",
                        rep=rep.group(1) if rep else "none",
                    )
                    results[label] = measure(http, filled, rounds)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args()
    measured = {b: run(b, args.calls, args.segments, args.rounds) for b in args.backends}
    table = Table(
        title=f"Manager pages, {args.calls} calls × {args.segments} segments "
        f"({args.rounds} rounds; target p95 ≤ {TARGET_MS:.0f} ms)"
    )
    table.add_column("page")
    table.add_column("KB", justify="right")
    for backend in args.backends:
        table.add_column(f"{backend} p50 ms", justify="right")
        table.add_column(f"{backend} p95 ms", justify="right")
    for label, _ in PAGES:
        cells = [f"{measured[args.backends[0]][label][1] / 1024:.0f}"]
        for backend in args.backends:
            status, _size, times = measured[backend][label]
            if status != 200:
                cells += [f"HTTP {status}", "–"]
                continue
            p95 = percentile(times, 95)
            mark = "" if p95 <= TARGET_MS else " ✗"
            cells += [f"{percentile(times, 50):.0f}", f"{p95:.0f}{mark}"]
        table.add_row(label, *cells)
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
