"""Learning curve of the learned layer, and its cost at run time.

    .venv/bin/python -m bench.learning_curve [--corpus corpus]
        [--eval-customer FILE ...] [--eval-rep FILE ...] [--latency]

Trains on ¼, ½ and all of the training split of ``--corpus`` (a deterministic split by a hash
of the id, copilot/learning/corpus.py) and scores rules alone and rules + model on the
evaluation set: the dev split unless ``--eval-customer`` / ``--eval-rep`` name files in the
corpus format. ``--latency`` also times extraction and 500-character scans on one core,
rules alone and with the bundled models, on corpus texts (bench/compliance.py's messages).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.compliance import MESSAGE_CHARS, build_messages, speed_table, time_scans
from bench.timing import percentile, pin_to_one_core
from compliance import Scanner
from copilot.insights import RuleExtractor
from copilot.insights.base import InsightExtractor
from copilot.learning import ModelAssistedExtractor, ModelAssistedScanner, bundled_models
from copilot.learning.artefact import Artefact
from copilot.learning.corpus import Example, Side, bucket, load_paths, load_side, split
from copilot.learning.evaluation import score_customer, score_rep
from copilot.learning.model import LinearModel
from copilot.learning.train import train

FRACTIONS = (0.25, 0.5, 1.0)


def subset(examples: Sequence[Example], fraction: float) -> list[Example]:
    """A deterministic fraction: the examples whose hash bucket falls below it (nested)."""
    return [e for e in examples if bucket("curve:" + e.id, 1000) < fraction * 1000]


def curve(
    side: Side,
    train_set: list[Example],
    eval_set: list[Example],
    score: Callable[[LinearModel | None], list[tuple[str, float]]],
) -> Table:
    table = Table(title=f"{side}: {len(eval_set)} evaluation examples")
    table.add_column("metric")
    columns: list[list[tuple[str, float]]] = [score(None)]
    table.add_column("rules", justify="right")
    timings = []
    for fraction in FRACTIONS:
        chosen = subset(train_set, fraction)
        started = time.perf_counter()
        artefact: Artefact = train(chosen, side)
        timings.append(time.perf_counter() - started)
        columns.append(score(LinearModel(artefact)))
        table.add_column(f"+model {fraction:g} (n={len(chosen)})", justify="right")
    for row, (metric, _) in enumerate(columns[0]):
        table.add_row(metric, *(f"{column[row][1]:.3f}" for column in columns))
    table.add_row("training s", "", *(f"{t:.1f}" for t in timings))
    return table


def extraction_times(extractor: InsightExtractor, texts: list[str], rounds: int) -> list[float]:
    for text in texts:  # warm caches as a running service has
        extractor.extract(text)
    timings = []
    for _ in range(rounds):
        for text in texts:
            begin = time.perf_counter_ns()
            extractor.extract(text, speaker="customer")
            timings.append((time.perf_counter_ns() - begin) / 1e6)
    return timings


def latency(console: Console, customer: list[Example], rep: list[Example]) -> None:
    pinned = pin_to_one_core()
    started = time.perf_counter()
    models = bundled_models.__wrapped__()
    load_ms = (time.perf_counter() - started) * 1000
    console.print(f"bundled models loaded in {load_ms:.0f} ms ({pinned})")
    rules = RuleExtractor()
    texts = [e.text for e in customer]
    table = Table(title=f"extraction per utterance ({len(texts)} corpus texts × 5)")
    for column in ("engine", "p50 ms", "p95 ms", "target"):
        table.add_column(column)
    engines: list[tuple[str, InsightExtractor]] = [("rules", rules)]
    if models.customer is not None:
        engines.append(("rules + model", ModelAssistedExtractor(rules, models.customer)))
    for name, extractor in engines:
        timings = extraction_times(extractor, texts, 5)
        p95 = percentile(timings, 95)
        verdict = "ok" if p95 <= 10 else "MISSED"
        table.add_row(name, f"{percentile(timings, 50):.3f}", f"{p95:.3f}", verdict)
    console.print(table)
    compliant = [e.text for e in rep if not e.labels]
    violating = [e.text for e in rep if e.labels]
    scanner = Scanner()
    console.print(speed_table(scanner, compliant, violating, 3000, "rules"))
    if models.rep is not None:
        assisted = ModelAssistedScanner(scanner, models.rep)
        console.print(speed_table(assisted, compliant, violating, 3000, "rules + model"))
        console.print(model_table(models.rep, compliant, violating))


def model_table(model: LinearModel, compliant: list[str], violating: list[str]) -> Table:
    """The rep model alone on the typical 500-character messages: what it adds per scan."""
    messages = build_messages(compliant, violating, 3000, 0.3, seed=7)
    p50, p99, per_second = time_scans(model.predict, messages)
    table = Table(title=f"rep model alone, {MESSAGE_CHARS}-char typical messages")
    for column in ("p50 ms", "p99 ms", "msgs/s"):
        table.add_column(column, justify="right")
    table.add_row(f"{p50:.3f}", f"{p99:.3f}", f"{per_second:,.0f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--eval-customer", type=Path, nargs="*", default=None)
    parser.add_argument("--eval-rep", type=Path, nargs="*", default=None)
    parser.add_argument("--latency", action="store_true", help="also time rules vs model")
    args = parser.parse_args()
    console = Console()
    customer_train, customer_dev = split(load_side(args.corpus, "customer"))
    rep_train, rep_dev = split(load_side(args.corpus, "rep"))
    customer_eval = (
        load_paths(args.eval_customer, "customer") if args.eval_customer else customer_dev
    )
    rep_eval = load_paths(args.eval_rep, "rep") if args.eval_rep else rep_dev

    rules = RuleExtractor()
    scanner = Scanner()

    def customer_score(model: LinearModel | None) -> list[tuple[str, float]]:
        extractor = rules if model is None else ModelAssistedExtractor(rules, model)
        return score_customer(extractor, customer_eval).rows()

    def rep_score(model: LinearModel | None) -> list[tuple[str, float]]:
        assisted = scanner if model is None else ModelAssistedScanner(scanner, model)
        return score_rep(assisted, rep_eval).rows()

    console.print(curve("customer", customer_train, customer_eval, customer_score))
    console.print(curve("rep", rep_train, rep_eval, rep_score))
    if args.latency:
        latency(console, customer_dev, rep_dev)


if __name__ == "__main__":
    main()
