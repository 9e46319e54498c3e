"""Leave-one-writer-out: how the learned layer does on a writer it never read.

    .venv/bin/python -m bench.cross_writer [--side customer|rep] [--corpus corpus]
        [--c C] [--char-max N] [--words/--no-words] [--pinyin/--no-pinyin] [--folds K]

Each file of a side is one writer. For every writer, a model is trained on the other
writers' files (thresholds from their out-of-fold predictions, as ``copilot train`` does) and
rules + model are scored on the held-out writer; the table sums the counts over writers.

This is the honest way to choose features and thresholds without the blind split: a random
dev split shares each writer's habits with the training half and flatters every choice
(pain-point F1 0.90 on the dev split against 0.65 on the blind writer).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from compliance import Scanner
from copilot.insights import RuleExtractor
from copilot.learning import ModelAssistedExtractor, ModelAssistedScanner, combine
from copilot.learning.corpus import Side, load_file, side_files
from copilot.learning.evaluation import CustomerScores, RepScores, score_customer, score_rep
from copilot.learning.features import FeatureSpec
from copilot.learning.model import LinearModel
from copilot.learning.train import DEFAULT_CONFIGS, TrainConfig, train


def config_from(args: argparse.Namespace, side: Side) -> TrainConfig:
    base = DEFAULT_CONFIGS[side]
    features = FeatureSpec(
        char_max=args.char_max or base.features.char_max,
        words=base.features.words if args.words is None else args.words,
        pinyin=base.features.pinyin if args.pinyin is None else args.pinyin,
    )
    return replace(
        base,
        features=features,
        c=args.c or base.c,
        folds=args.folds or base.folds,
        f1_min_threshold=args.pain_floor or base.f1_min_threshold,
    )


def merge(total: CustomerScores | RepScores, part: CustomerScores | RepScores) -> None:
    for name, value in vars(part).items():
        if isinstance(value, int):
            setattr(total, name, getattr(total, name) + value)
        else:
            mine = getattr(total, name)
            mine.true_positive += value.true_positive
            mine.predicted += value.predicted
            mine.gold += value.gold


def run(side: Side, corpus: Path, config: TrainConfig, console: Console) -> Table:
    files = side_files(corpus, side)
    writers = {path.stem: load_file(path, side) for path in files}
    rules = RuleExtractor()
    scanner = Scanner()
    per_writer: dict[str, list[tuple[str, float]]] = {}
    total: CustomerScores | RepScores = CustomerScores() if side == "customer" else RepScores()
    started = time.perf_counter()
    for name, held in writers.items():
        rest = [e for other, examples in writers.items() if other != name for e in examples]
        model = LinearModel(train(rest, side, config))
        part: CustomerScores | RepScores
        if side == "customer":
            part = score_customer(ModelAssistedExtractor(rules, model), held)
        else:
            part = score_rep(ModelAssistedScanner(scanner, model), held)
        merge(total, part)
        per_writer[name] = part.rows()
        console.log(f"{name}: done ({time.perf_counter() - started:.0f} s)")
    table = Table(title=f"{side}, each writer held out in turn ({config})")
    table.add_column("metric")
    for name in per_writer:
        table.add_column(name, justify="right")
    table.add_column("all", justify="right")
    for row, (metric, _) in enumerate(total.rows()):
        cells = [f"{rows[row][1]:.3f}" for rows in per_writer.values()]
        table.add_row(metric, *cells, f"{total.rows()[row][1]:.3f}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--side", choices=("customer", "rep"), default="customer")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--c", type=float, default=None)
    parser.add_argument("--char-max", type=int, default=None)
    parser.add_argument("--words", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--pinyin", action=argparse.BooleanOptionalAction, default=None)
    parser.add_argument("--folds", type=int, default=None)
    parser.add_argument("--pain-floor", type=float, default=None)
    parser.add_argument("--pain-veto", type=float, default=None, help="combine.PAIN_VETO")
    args = parser.parse_args()
    console = Console(width=200)
    side: Side = args.side
    if args.pain_veto is not None:
        combine.PAIN_VETO = args.pain_veto
    console.print(run(side, args.corpus, config_from(args, side), console))


if __name__ == "__main__":
    main()
