"""Named systems' roles on a writer never read: each vendor set of ``corpus/systems/`` left
out in turn, the role model trained on the others, rules and rules + model scored on it.

    .venv/bin/python -m bench.system_roles [--corpus corpus] [--c C] [--fraction F]

``--fraction`` trains on that share of the other writers' examples (by a hash of the line
id): the learning curve.

A role counts when the system the extractor reports for a labelled one (the same match as
``bench.understanding``'s vendor scores) has the labelled role; systems the extractor does
not find are not counted (vendor recall is scored elsewhere). The blind vendor split
(``corpus/blind/vendors_blind.jsonl``) is scored by ``bench.understanding``, never here.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path
from typing import Protocol, TypeVar

from rich.console import Console
from rich.table import Table

from copilot.insights import RuleExtractor
from copilot.learning import roles
from copilot.learning.combine import with_roles
from copilot.learning.corpus import bucket
from copilot.learning.roles import (
    RoleModel,
    judged_lines,
    judged_roles,
    load_lines,
    role_examples,
    systems_files,
)
from copilot.learning.train import as_stored


def score(
    model: RoleModel | None, judged: list[roles.JudgedLine]
) -> tuple[int, int, Counter[tuple[str, str]]]:
    """(right, counted, confusions (labelled, said)) of the roles of the systems found."""
    spellings = roles.catalogue_spellings()
    right = counted = 0
    confusions: Counter[tuple[str, str]] = Counter()
    for line, judgement in judged:
        if not line.systems:
            continue
        insights = judgement.insights
        if model is not None and judgement.mentions:
            insights = with_roles(insights, judged_roles(model, judgement), judgement.text)
        for named in line.systems:
            system = next(
                (s for s in insights.systems if roles.is_named(s, named, spellings)), None
            )
            if system is None:
                continue
            counted += 1
            right += system.role == named.role
            confusions[(named.role, system.role)] += 1
    return right, counted, confusions


class Identified(Protocol):
    id: str


Example = TypeVar("Example", bound=Identified)


def others(examples: dict[str, list[Example]], held: str, fraction: float) -> list[Example]:
    """Every writer's examples but ``held``'s, ``fraction`` of them by a hash of the line id."""
    return [
        example
        for name, group in examples.items()
        if name != held
        for example in group
        if bucket(example.id, 1000) < fraction * 1000
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--c", type=float, default=roles.C)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    extractor = RuleExtractor()
    files = systems_files(args.corpus)
    lines = {path.stem: judged_lines(extractor, load_lines([path])) for path in files}
    examples = {name: role_examples(judged) for name, judged in lines.items()}
    share = f"{args.fraction:.0%} of the rest"
    table = Table(title=f"system roles, each writer left out (C {args.c}, {share})")
    for column in ("left out", "systems", "rules", "rules + model", "train s"):
        table.add_column(column, justify="left" if column == "left out" else "right")
    totals = Counter[str]()
    confusions: Counter[tuple[str, str]] = Counter()
    for held in lines:
        started = time.perf_counter()
        training = others(examples, held, args.fraction)
        model = RoleModel(as_stored(roles.fit_roles(training, c=args.c)))
        seconds = time.perf_counter() - started
        rules_right, counted, _ = score(None, lines[held])
        model_right, _, confused = score(model, lines[held])
        confusions += confused
        totals.update(counted=counted, rules=rules_right, model=model_right)
        table.add_row(
            held,
            str(counted),
            f"{rules_right / counted:.3f}",
            f"{model_right / counted:.3f}",
            f"{seconds:.1f}",
        )
    counted = totals["counted"]
    table.add_row(
        "all",
        str(counted),
        f"{totals['rules'] / counted:.3f}",
        f"{totals['model'] / counted:.3f}",
        "",
    )
    console = Console()
    console.print(table)
    said = Table(title="rules + model: labelled role (rows) against the role said (columns)")
    said.add_column("labelled")
    for role in roles.ROLES:
        said.add_column(role, justify="right")
    for labelled in roles.ROLES:
        said.add_row(labelled, *(str(confusions[(labelled, role)]) for role in roles.ROLES))
    console.print(said)


if __name__ == "__main__":
    main()
