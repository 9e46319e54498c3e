"""Names the rules could not confirm, on a writer never read: each vendor set of
``corpus/systems/`` left out in turn, the name confirmer trained on the others; vendor
recall and look-alike lines with a vendor, rules alone and rules + confirmer at each
threshold.

    .venv/bin/python -m bench.system_names [--corpus corpus] [--c C] [--fraction F]

``--fraction`` trains on that share of the other writers' examples (by a hash of the line
id): the learning curve.

Scored as ``bench.understanding`` scores vendors (a labelled system is found when a
reported competitor or system names its vendor or product). The blind vendor split
(``corpus/blind/vendors_blind.jsonl``) is scored by ``bench.understanding``, never here.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.system_roles import others
from bench.understanding import names_said, reported_spellings, same_vendor, system_names
from copilot.insights import RuleExtractor
from copilot.learning import names
from copilot.learning.artefact import load
from copilot.learning.combine import read_systems
from copilot.learning.names import NameModel, name_examples
from copilot.learning.roles import JudgedLine, RoleModel, judged_lines, load_lines, systems_files
from copilot.learning.runtime import MODELS_DIR
from copilot.learning.train import as_stored

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def tally(roles: RoleModel, judged: list[JudgedLine]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line, judgement in judged:
        insights = read_systems(roles, judgement, judgement.insights)
        said, spellings = names_said(insights), reported_spellings(insights)
        labelled = [{"vendor": n.vendor, "product": n.product} for n in line.systems]
        for system in insights.systems[len(judgement.insights.systems) :]:
            right = any(same_vendor(system_names(system), g, spellings) for g in labelled)
            counts.update(added=1, added_right=right)
        if not labelled:
            counts.update(lookalikes=1, lookalike_hit=bool(said))
        for gold in labelled:
            counts.update(systems=1, found=same_vendor(said, gold, spellings))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--c", type=float, default=names.C)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    extractor = RuleExtractor()
    judged = {
        path.stem: judged_lines(extractor, load_lines([path]))
        for path in systems_files(args.corpus)
    }
    examples = {name: name_examples(rows) for name, rows in judged.items()}
    # Roles do not enter these scores: the shipped role model reads them.
    roles = load(MODELS_DIR, "system_roles")
    share = f"{args.fraction:.0%} of the rest"
    title = f"names the rules could not confirm, each writer left out (C {args.c}, {share})"
    table = Table(title=title)
    table.add_column("left out")
    for column in ("systems", "rules", *(f"≥ {t}" for t in THRESHOLDS)):
        table.add_column(column, justify="right")
    totals: dict[str, Counter[str]] = {"rules": Counter()}
    for held in judged:
        training = others(examples, held, args.fraction)
        confirmer = NameModel(as_stored(names.fit_names(training, c=args.c)))
        row = [held]
        base = tally(RoleModel(roles), judged[held])
        totals["rules"] += base
        row += [str(base["systems"]), _cell(base)]
        for threshold in THRESHOLDS:
            confirmer.threshold = threshold
            counts = tally(RoleModel(roles, names=confirmer), judged[held])
            totals.setdefault(str(threshold), Counter()).update(counts)
            row.append(_cell(counts))
        table.add_row(*row)
    table.add_row(
        "all",
        str(totals["rules"]["systems"]),
        *(_cell(totals[key]) for key in ("rules", *map(str, THRESHOLDS))),
    )
    table.caption = (
        "vendor recall, look-alike lines with a vendor, and of the systems the confirmer "
        "added, those labelled"
    )
    Console(width=150).print(table)


def _cell(counts: Counter[str]) -> str:
    recall = counts["found"] / max(1, counts["systems"])
    false = counts["lookalike_hit"] / max(1, counts["lookalikes"])
    cell = f"{recall:.3f} {false:.3f}"
    if counts["added"]:
        cell += f" {counts['added_right']}/{counts['added']}"
    return cell


if __name__ == "__main__":
    main()
