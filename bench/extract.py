"""Insight-extraction benchmark: per-utterance latency on one core, and quality.

    .venv/bin/python -m bench.extract [--rounds 20]

Latency: every utterance of the shared devset and of tests/insights/data/utterances_extra.jsonl,
extracted ``rounds`` times in a shuffled order, one at a time, in one process pinned to one CPU
(the service runs extraction on every final utterance). Quality: the scoring of
copilot/insights/scoring.py on both sets. Both engines are measured: the rules alone, and
rules + the shipped customer model (what the service and the command line run).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.timing import percentile, pin_to_one_core
from copilot.insights import RuleExtractor
from copilot.insights.base import InsightExtractor
from copilot.insights.scoring import Labelled, Report, load_labelled, score
from copilot.learning import assisted_extractor, bundled_models

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT.parent / "shared" / "devset" / "utterances.jsonl"
EXTRA = ROOT / "tests" / "insights" / "data" / "utterances_extra.jsonl"
# Written by someone who saw neither the code nor the other sets: objections and look-alikes
# that mention an objection's topic without objecting. Never tuned on; it says how the rules
# generalise.
BLIND = ROOT / "tests" / "insights" / "data" / "objections_blind.jsonl"


def time_extraction(
    extractor: InsightExtractor, rows: list[Labelled], rounds: int
) -> tuple[list[float], float]:
    texts = [row.text for row in rows] * rounds
    random.Random(7).shuffle(texts)
    for text in texts[: len(rows)]:  # warm caches (pinyin, regex) as a running service has
        extractor.extract(text)
    timings = []
    started = time.perf_counter()
    for text in texts:
        begin = time.perf_counter_ns()
        extractor.extract(text, speaker="customer")
        timings.append((time.perf_counter_ns() - begin) / 1e6)
    return timings, time.perf_counter() - started


def quality_table(reports: dict[str, Report]) -> Table:
    table = Table(title="extraction quality (copilot/insights/scoring.py)")
    table.add_column("metric")
    for name, report in reports.items():
        table.add_column(f"{name} (n={report.total})", justify="right")
    names = [metric for metric, _ in next(iter(reports.values())).as_rows()]
    for index, metric in enumerate(names):
        table.add_row(metric, *(f"{r.as_rows()[index][1]:.3f}" for r in reports.values()))
    return table


def blind_table(extractor: InsightExtractor, engine: str) -> Table:
    rows = [json.loads(line) for line in BLIND.read_text(encoding="utf-8").splitlines() if line]
    objections = [r for r in rows if r["objection"]]
    lookalikes = [r for r in rows if not r["objection"]]
    found = {r["id"]: [o.type for o in extractor.extract(r["text"]).objections] for r in rows}
    right = sum(bool(found[r["id"]]) and found[r["id"]][0] == r["objection"] for r in objections)
    flagged = sum(bool(found[r["id"]]) for r in lookalikes)
    table = Table(title=f"objections on the blind set (never tuned on), {engine}")
    for column in ("objections", "type accuracy", "look-alikes", "false-positive rate"):
        table.add_column(column, justify="right")
    table.add_row(
        str(len(objections)),
        f"{right / len(objections):.3f}",
        str(len(lookalikes)),
        f"{flagged / len(lookalikes):.3f}",
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="passes over all utterances")
    args = parser.parse_args()
    console = Console(width=120)
    pinned = pin_to_one_core()
    load_started = time.perf_counter()
    rules = RuleExtractor()
    load_s = time.perf_counter() - load_started
    load_started = time.perf_counter()
    models = bundled_models()
    model = models.customer
    model_s = time.perf_counter() - load_started
    engines: dict[str, InsightExtractor] = {"rules": rules}
    if model is not None:  # as the service runs it: the customer model and the role model
        engines["rules + model"] = assisted_extractor(rules, model, roles=models.roles)
    sets = {"extra": load_labelled(EXTRA)}
    if DEVSET.is_file():
        sets = {"devset": load_labelled(DEVSET), **sets}
    rows = [row for labelled in sets.values() for row in labelled]

    latency = Table(title=f"per-utterance extraction ({pinned})")
    for column in ("engine", "utterances", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms"):
        latency.add_column(column, justify="left" if column == "engine" else "right")
    latency.add_column("per s", justify="right")
    p95s = {}
    for engine, extractor in engines.items():
        timings, wall_s = time_extraction(extractor, rows, args.rounds)
        p95s[engine] = percentile(timings, 95)
        latency.add_row(
            engine,
            f"{len(timings)} ({len(rows)} × {args.rounds})",
            f"{percentile(timings, 50):.3f}",
            f"{p95s[engine]:.3f}",
            f"{percentile(timings, 99):.3f}",
            f"{max(timings):.3f}",
            f"{statistics.fmean(timings):.3f}",
            f"{len(timings) / wall_s:,.0f}",
        )
    console.print(latency)
    console.print(f"start-up (lexicons, competitor pinyin, jieba dictionary): {load_s:.2f} s")
    loaded = f"loaded in {model_s:.2f} s" if model else "MISSING (run `copilot train`)"
    console.print(f"customer model: {loaded}")
    reports = {
        f"{name}, {engine}": score(extractor, labelled)
        for name, labelled in sets.items()
        for engine, extractor in engines.items()
    }
    console.print(quality_table(reports))
    if BLIND.is_file():
        for engine, extractor in engines.items():
            console.print(blind_table(extractor, engine))
    for engine, p95 in p95s.items():
        target = "met" if p95 <= 10 else "MISSED"
        console.print(f"target p95 ≤ 10 ms per utterance, {engine}: {target}")


if __name__ == "__main__":
    main()
