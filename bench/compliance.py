"""Compliance benchmark: latency and throughput on 500-character messages, and accuracy on
the labelled message sets.

    .venv/bin/python -m bench.compliance [--messages 5000] [--devset PATH] [--extra PATH]

Two corpora of 500-character messages, built from the labelled sets with a fixed seed:
"typical" is mostly compliant sentences (the sets' look-alikes, which are the expensive
ones) with one violating sentence in about a third of the messages; "dense" draws every
sentence from all labelled messages, so more than half are violations (a worst case). The
process is pinned to one CPU core where the OS allows it (the one other work leaves most
idle) and scans every message three times: latencies over all passes, messages per second
in the fastest pass. Each corpus is timed twice: one message at a time (``scan``, as a chat
message or a final segment arrives) and in bulk (``scan_many``, as ``copilot scan --jsonl``
checks an archive: the rules take a few messages, then the model reads them together).
Both engines are measured: the rules alone, and rules + the shipped rep model (what the
service and the command line run).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.timing import percentile, pin_to_one_core
from compliance import Scanner
from compliance.evaluation import LabelledMessage, load_labelled, score
from copilot.commands.compliance import JSONL_BATCH
from copilot.learning import assisted_scanner, bundled_models

REPO = Path(__file__).resolve().parents[1]
DEVSET = REPO.parent / "shared" / "devset" / "messages.jsonl"
EXTRA = REPO / "tests" / "compliance" / "data" / "messages_extra.jsonl"
FRESH = REPO / "tests" / "compliance" / "data" / "messages_fresh.jsonl"
MESSAGE_CHARS = 500


def build_messages(
    compliant: list[str], violating: list[str], count: int, violation_rate: float, seed: int
) -> list[str]:
    rng = random.Random(seed)
    messages = []
    for _ in range(count):
        parts: list[str] = []
        if rng.random() < violation_rate:
            parts.append(rng.choice(violating))
        while sum(map(len, parts)) < MESSAGE_CHARS:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(compliant))
        messages.append("".join(parts)[:MESSAGE_CHARS])
    return messages


# Passes over the messages: latencies pool all of them; throughput is the best pass, as
# timeit reports the best of its repeats (a slower pass measures the neighbours on a shared
# machine, not the code).
PASSES = 3


def fastest_pass(run: Callable[[], object], passes: int = PASSES) -> float:
    """Seconds of the fastest of ``passes`` runs."""
    fastest = float("inf")
    for _ in range(passes):
        started = time.perf_counter()
        run()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


def time_scans(
    scan: Callable[[str], object], messages: list[str], passes: int = PASSES
) -> tuple[float, float, float]:
    """p50 and p99 latency (ms) of single scans over every pass, and messages per second in
    the best pass."""
    for message in messages[:200]:  # warm caches and the allocator
        scan(message)
    latencies = []

    def one_pass() -> None:
        for message in messages:
            begin = time.perf_counter()
            scan(message)
            latencies.append((time.perf_counter() - begin) * 1000)

    fastest = fastest_pass(one_pass, passes)
    return percentile(latencies, 50), percentile(latencies, 99), len(messages) / fastest


def time_bulk(
    scan_many: Callable[[list[str]], object], messages: list[str], passes: int = PASSES
) -> float:
    """Messages per second handed over as ``copilot scan --jsonl`` hands them (``scan_many``
    on :data:`JSONL_BATCH` lines at a time, the results printed and let go), in the best
    pass."""
    batches = [messages[i : i + JSONL_BATCH] for i in range(0, len(messages), JSONL_BATCH)]
    for batch in batches[:4]:
        scan_many(batch)

    def one_pass() -> None:
        for batch in batches:
            scan_many(batch)

    return len(messages) / fastest_pass(one_pass, passes)


def speed_table(
    scanner: Scanner, compliant: list[str], violating: list[str], count: int, engine: str = ""
) -> Table:
    title = f"compliance scan, {MESSAGE_CHARS}-char messages, {pin_to_one_core()}"
    table = Table(title=f"{title}, {engine}" if engine else title)
    for column in ("corpus", "messages", "p50 ms", "p99 ms", "msgs/s", "target"):
        table.add_column(column, justify="left" if column == "corpus" else "right")
    for corpus, rate, pool in (("typical", 0.3, compliant), ("dense", 1.0, compliant + violating)):
        messages = build_messages(pool, violating, count, rate, seed=7)
        p50, p99, per_second = time_scans(scanner.scan, messages)
        verdict = "ok" if p99 <= 5 and per_second >= 2000 else "MISSED"
        table.add_row(corpus, str(count), f"{p50:.3f}", f"{p99:.3f}", f"{per_second:,.0f}", verdict)
        per_second = time_bulk(scanner.scan_many, messages)
        verdict = "ok" if per_second >= 2000 else "MISSED"
        table.add_row(f"{corpus}, in bulk", str(count), "–", "–", f"{per_second:,.0f}", verdict)
    table.caption = (
        "one by one: scan() per message, latencies over every pass; in bulk: scan_many() "
        f"on {JSONL_BATCH} messages at a time, as copilot scan --jsonl; msgs/s: the fastest "
        "of three passes"
    )
    return table


def quality_table(
    scanner: Scanner, sets: dict[str, list[LabelledMessage]], engine: str = ""
) -> Table:
    title = "accuracy on labelled messages"
    table = Table(title=f"{title}, {engine}" if engine else title)
    for column in ("set", "messages", "recall", "precision", "category acc.", "category exact"):
        table.add_column(column, justify="left" if column == "set" else "right")
    for name, labelled in sets.items():
        metrics = score(scanner, labelled)
        table.add_row(
            name,
            str(metrics.total),
            f"{metrics.recall:.3f}",
            f"{metrics.precision:.3f}",
            f"{metrics.category_accuracy:.3f}",
            f"{metrics.category_exact_accuracy:.3f}",
        )
        for line in metrics.misses + metrics.false_alarms + metrics.wrong_category:
            table.caption = (table.caption or "") + f"\n{name}: {line}"
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--devset", type=Path, default=DEVSET)
    parser.add_argument("--extra", type=Path, default=EXTRA)
    args = parser.parse_args()
    console = Console()

    sets = {
        name: load_labelled(path)
        for name, path in (("devset", args.devset), ("extra", args.extra))
        if path.is_file()
    }
    everything = [m for labelled in sets.values() for m in labelled]
    compliant = [m.text for m in everything if not m.violation]
    violating = [m.text for m in everything if m.violation]
    if not compliant or not violating:
        raise SystemExit("no labelled messages found: pass --devset or --extra")

    started = time.perf_counter()
    scanner = Scanner()
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    model = bundled_models().rep
    model_ms = (time.perf_counter() - started) * 1000
    engines = {"rules": scanner}
    if model is not None:
        engines["rules + model"] = assisted_scanner(scanner, model)
    else:
        console.print("[red]rep model missing: rules only (run `copilot train`)[/red]")
    for engine, engine_scanner in engines.items():
        console.print(speed_table(engine_scanner, compliant, violating, args.messages, engine))

    big = "您好，附件是本季度的方案说明。" * 140_000  # about 2 MB of text
    for engine, engine_scanner in engines.items():
        started = time.perf_counter()
        engine_scanner.scan(big)
        big_ms = (time.perf_counter() - started) * 1000
        console.print(
            f"{engine}: a {len(big) / 1e6:.1f} M-character message: {big_ms:.0f} ms "
            f"(scanned up to max_chars={scanner.config.max_chars:,})"
        )
    console.print(
        f"rule pack: {len(scanner.pack.rules)} rules, loaded in {load_ms:.0f} ms; "
        f"rep model loaded in {model_ms:.0f} ms"
    )
    if FRESH.is_file():
        # Written without seeing the rules; measured before tuning at recall 0.733 and
        # precision 0.930, then tuned on. Kept out of the timing corpus above.
        sets["fresh"] = load_labelled(FRESH)
    for engine, engine_scanner in engines.items():
        console.print(quality_table(engine_scanner, sets, engine))


if __name__ == "__main__":
    main()
