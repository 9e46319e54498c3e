"""How many of a new phrasing family an organisation's own model catches after 30 corrections.

    .venv/bin/python -m bench.org_learning [--weights 25 40] [--family FILE ...] [--verdicts N]

A family file (``tests/learning/data/org_family_*.jsonl``) holds 30 ``train`` lines of one
violation in a disguise, 30 ``heldout`` lines of the same and 30 ``lookalike`` lines that are
no violation. For every family and org weight (``copilot.learning.org_models.ORG_WEIGHT``:
how many times each correction counts per 5,000 shipped examples), an org model is trained
on the shipped rep corpus plus the 30 train lines, stored as a rep's corrections are (the
engines' flags plus the family's category, which is all the org ruled on) and trained as
``copilot train --org`` does, and the
scanner with that org model is scored: held-out recall of the family's category, the
share of look-alikes with any flag, and compliance recall / precision on the blind rep
split (``corpus/blind/rep_blind.jsonl``: what the org's model does to everything else it
scans), before and after. With ``--verdicts N`` a second round follows: a manager rules
"not a violation" on every flag the org's engines raise on the first N look-alikes (stored
as the service stores a verdict: the category taken away and ruled on), the org retrains,
and the family is scored again on the other look-alikes. ``copilot train`` itself is not run;
nothing is written into the repository.

The families were written by hand (rigged games) and by a helper who saw neither the rules
nor the corpus (relatives' jobs, side accounts); tests/learning/data/DATASHEET.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from compliance import Scanner
from copilot.learning import assisted_scanner, bundled_models
from copilot.learning.corpus import Example
from copilot.learning.org_models import ORG_WEIGHT, layered, load_org_models, train_org

from .understanding import read_jsonl, score_rep

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "learning" / "data"
FAMILIES = sorted(DATA.glob("org_family_*.jsonl"))
BLIND_REP = ROOT / "corpus" / "blind" / "rep_blind.jsonl"


def load_family(path: Path) -> tuple[str, dict[str, list[str]], list[Example]]:
    """The family's category, its texts per split, and its train lines as examples."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    categories = {c for row in rows for c in row["categories"]}
    assert len(categories) == 1, f"{path}: one category per family, found {sorted(categories)}"
    texts: dict[str, list[str]] = {"train": [], "heldout": [], "lookalike": []}
    for row in rows:
        texts[row["split"]].append(row["text"])
    train = [
        Example(id=row["id"], text=row["text"], labels=tuple(row["categories"]))
        for row in rows
        if row["split"] == "train"
    ]
    return categories.pop(), texts, train


def corrected(scanner: Scanner, train: list[Example]) -> list[Example]:
    """The train lines as the service stores a rep's correction "add this category" on
    each: what the engines flag there now, plus the category (copilot/store/labels.py)."""
    return [
        replace(
            e,
            labels=tuple(sorted({f.category for f in scanner.scan(e.text).flags} | set(e.labels))),
        )
        for e in train
    ]


def verdicts(scanner: Scanner, texts: list[str]) -> tuple[list[Example], set[str]]:
    """A manager's "not a violation" on every flag the org's engines raise on ``texts``:
    the examples as the service stores them (the flags' categories taken away) and the
    categories ruled on."""
    examples, ruled = [], set()
    for n, text in enumerate(texts):
        flagged = {f.category for f in scanner.scan(text).flags}
        if flagged:
            examples.append(Example(id=f"verdict-{n}", text=text, labels=()))
            ruled |= flagged
    return examples, ruled


def rates(scanner: Scanner, category: str, texts: dict[str, list[str]]) -> tuple[float, float]:
    """Held-out recall of ``category``; share of look-alikes with any flag."""
    caught = [any(f.category == category for f in scanner.scan(t).flags) for t in texts["heldout"]]
    flagged = [bool(scanner.scan(t).flags) for t in texts["lookalike"]]
    return sum(caught) / len(caught), sum(flagged) / len(flagged)


def _blind(scanner: Scanner, rows: list[dict[str, object]]) -> str:
    scores = score_rep(scanner, rows)
    return f"{scores['compliance recall']:.3f}/{scores['compliance precision']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--weights", type=int, nargs="+", default=[ORG_WEIGHT])
    parser.add_argument("--family", type=Path, nargs="+", default=FAMILIES)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument(
        "--verdicts",
        type=int,
        default=0,
        help="a second round: a manager rules 'not a violation' on what the org's engines "
        "flag among the first N look-alikes, the org retrains, the rest are scored",
    )
    args = parser.parse_args()
    console = Console(width=160)
    shipped = bundled_models().rep
    assert shipped is not None, "the shipped rep model is missing: run copilot train"
    rules = Scanner()
    before = assisted_scanner(rules, shipped)
    blind = read_jsonl(BLIND_REP)
    blind_before = _blind(before, blind)
    table = Table(title="an org's 30 corrections of a new phrasing family (rep side)")
    for column in ("family", "category", "weight", "recall before", "recall after"):
        table.add_column(column, justify="left" if column in ("family", "category") else "right")
    table.add_column("look-alikes flagged before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("blind R/P before", justify="right")
    table.add_column("after", justify="right")
    table.add_column("train s", justify="right")
    if args.verdicts:
        for column in ("verdicts", "recall", "look-alikes", "blind R/P"):
            table.add_column(f"{column} (2nd round)", justify="right")
    for path in args.family:
        category, texts, train = load_family(path)
        to_rule = texts["lookalike"][: args.verdicts]
        texts["lookalike"] = texts["lookalike"][args.verdicts :]
        recall_before, lookalike_before = rates(before, category, texts)
        for weight in args.weights:
            with tempfile.TemporaryDirectory() as root:
                started = time.perf_counter()
                examples = corrected(before, train)
                train_org(
                    "bench-org",
                    {"rep": examples},
                    Path(root),
                    args.corpus,
                    taught={"rep": [category]},
                    denied={},
                    weight=weight,
                )
                trained_s = time.perf_counter() - started
                org = load_org_models(Path(root), "bench-org")
                assert org is not None
                after = assisted_scanner(rules, layered(shipped, org, "rep"))
                second: list[str] = []
                if args.verdicts:
                    ruled_on, ruled = verdicts(after, to_rule)
                    train_org(
                        "bench-org",
                        {"rep": examples + ruled_on},
                        Path(root),
                        args.corpus,
                        taught={"rep": sorted(ruled | {category})},
                        denied={"rep": sorted(ruled)},
                        weight=weight,
                    )
                    again = load_org_models(Path(root), "bench-org")
                    assert again is not None
                    retrained = assisted_scanner(rules, layered(shipped, again, "rep"))
                    recall_2, lookalike_2 = rates(retrained, category, texts)
                    second = [
                        str(len(ruled_on)),
                        f"{recall_2:.3f}",
                        f"{lookalike_2:.3f}",
                        _blind(retrained, blind),
                    ]
            recall_after, lookalike_after = rates(after, category, texts)
            table.add_row(
                path.stem.removeprefix("org_family_"),
                category,
                str(weight),
                f"{recall_before:.3f}",
                f"{recall_after:.3f}",
                f"{lookalike_before:.3f}",
                f"{lookalike_after:.3f}",
                blind_before,
                _blind(after, blind),
                f"{trained_s:.0f}",
                *second,
            )
            console.log(f"{path.stem} weight {weight}: done")
    console.print(table)


if __name__ == "__main__":
    main()
