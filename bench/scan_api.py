"""Checking messages through the HTTP API: one request per message against batches.

    .venv/bin/python -m bench.scan_api [--messages 2000] [--batches 8 100 500]

The service runs in a child process (temp SQLite, the default engines: rules + the shipped
rep model), rate limits lifted; one client sends the "typical" 500-character messages of
``bench.compliance`` (a third hold a violation) over keep-alive HTTP, first one
``POST /v1/compliance/scan`` per message, then ``POST /v1/compliance/scan/batch`` with
batches of each size. Every flag found is stored, as in production. Figures: messages per
second end to end (client and server on this machine's two cores) and the p50 / p95 time of
one request.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench.compliance import DEVSET, EXTRA, build_messages
from bench.timing import percentile
from compliance.evaluation import load_labelled


def _serve(data_dir: str, conn: Connection) -> None:
    """In the child process: the service until the parent says stop."""
    from copilot.commands.service import demo_settings, running_service
    from copilot.service.ratelimit import RateLimit

    unlimited = RateLimit(per_minute=1e9, burst=1_000_000)
    settings = demo_settings(Path(data_dir))
    limits = settings.service.rate_limits.model_copy(
        update={"scan": unlimited, "scan_batch": unlimited}
    )
    service = settings.service.model_copy(update={"rate_limits": limits, "preload_speech": False})
    with running_service(settings.model_copy(update={"service": service})) as (url, key):
        conn.send((url, key))
        conn.recv()


def timed_requests(
    http: httpx.Client, path: str, bodies: list[dict[str, Any]]
) -> tuple[float, list[float]]:
    """Wall seconds for all of ``bodies`` posted in turn, and each request's ms."""
    took: list[float] = []
    began = time.perf_counter()
    for body in bodies:
        started = time.perf_counter()
        answer = http.post(path, json=body)
        took.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return time.perf_counter() - began, took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batches", type=int, nargs="+", default=[8, 100, 500])
    args = parser.parse_args()

    labelled = load_labelled(DEVSET) + load_labelled(EXTRA)
    compliant = [m.text for m in labelled if not m.violation]
    violating = [m.text for m in labelled if m.violation]
    messages = build_messages(compliant, violating, args.messages, 0.3, seed=7)

    table = Table(title=f"compliance checks over HTTP, {len(messages)} messages of 500 chars")
    for column in ("requests", "messages / request", "msgs/s", "request p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "requests" else "right")
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="bench-scan-api-") as data_dir:
        parent, child = ctx.Pipe()
        server = ctx.Process(target=_serve, args=(data_dir, child))
        server.start()
        try:
            url, key = parent.recv()
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=url, headers=headers, timeout=120) as http:
                warm = [{"text": m} for m in messages[:50]]
                timed_requests(http, "/v1/compliance/scan", warm)
                seconds, took = timed_requests(
                    http, "/v1/compliance/scan", [{"text": m} for m in messages]
                )
                table.add_row(
                    "POST /scan",
                    "1",
                    f"{len(messages) / seconds:,.0f}",
                    f"{percentile(took, 50):.2f}",
                    f"{percentile(took, 95):.2f}",
                )
                for size in args.batches:
                    bodies = [
                        {"messages": [{"text": m} for m in messages[i : i + size]]}
                        for i in range(0, len(messages), size)
                    ]
                    seconds, took = timed_requests(http, "/v1/compliance/scan/batch", bodies)
                    table.add_row(
                        "POST /scan/batch",
                        str(size),
                        f"{len(messages) / seconds:,.0f}",
                        f"{percentile(took, 50):.2f}",
                        f"{percentile(took, 95):.2f}",
                    )
        finally:
            parent.send("stop")
            server.join(timeout=60)
    table.caption = (
        "client and server on one machine (separate processes); every flag found is stored "
        "in SQLite; rate limits lifted"
    )
    Console().print(table)


if __name__ == "__main__":
    main()
