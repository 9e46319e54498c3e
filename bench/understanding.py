"""How well the product understands wording it was not tuned on: the corpus format of
``corpus/`` (see corpus/DATASHEET.md), scored line by line.

    .venv/bin/python -m bench.understanding                     # the blind split
    .venv/bin/python -m bench.understanding --customer FILE --rep FILE

Customer lines: objection recall and precision (does the line object at all), main objection
type (the first objection the extractor reports is one of the gold types; a missed objection
counts as wrong), pain-point F1 (micro, over categories), decision-maker recall and precision,
budget found (stated or not). Rep lines: compliance recall and precision (flagged at all) and
category accuracy (of the violations caught, the share whose flags include a gold category).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from compliance import Scanner
from copilot.insights import build_extractor
from copilot.insights.base import InsightExtractor
from copilot.learning.combine import assisted_extractor, assisted_scanner
from copilot.learning.roles import catalogue_spellings, folded, names_vendor
from copilot.learning.runtime import bundled_models
from copilot.settings import get_settings

ROOT = Path(__file__).resolve().parents[1]
BLIND_CUSTOMER = ROOT / "corpus" / "blind" / "customer_blind.jsonl"
BLIND_REP = ROOT / "corpus" / "blind" / "rep_blind.jsonl"
BLIND_VENDORS = ROOT / "corpus" / "blind" / "vendors_blind.jsonl"
BLIND_ADLAW = ROOT / "corpus" / "blind" / "adlaw_blind.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Ratio:
    hit: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.hit += int(ok)
        self.total += 1

    @property
    def value(self) -> float:
        return self.hit / self.total if self.total else float("nan")


def f1(true_positive: int, predicted: int, gold: int) -> float:
    if not predicted or not gold:
        return float("nan")
    precision, recall = true_positive / predicted, true_positive / gold
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_customer(extractor: InsightExtractor, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    recall, precision, main_type = Ratio(), Ratio(), Ratio()
    dm_recall, dm_precision, budget = Ratio(), Ratio(), Ratio()
    pain_tp = pain_predicted = pain_gold = 0
    for row in rows:
        insights = extractor.extract(row["text"], speaker="customer")
        gold_types = set(row["objections"])
        said_types = [o.type for o in insights.objections]
        if gold_types:
            recall.add(bool(said_types))
            main_type.add(bool(said_types) and said_types[0] in gold_types)
        if said_types:
            precision.add(bool(gold_types))
        gold_pains = set(row["pain_points"])
        said_pains = {p.category for p in insights.pain_points}
        pain_tp += len(gold_pains & said_pains)
        pain_predicted += len(said_pains)
        pain_gold += len(gold_pains)
        if row["decision_maker"]:
            dm_recall.add(bool(insights.decision_chain))
        if insights.decision_chain:
            dm_precision.add(bool(row["decision_maker"]))
        budget.add(bool(row["budget"]) == (insights.budget is not None))
    return {
        "objection recall": recall.value,
        "objection precision": precision.value,
        "main objection type": main_type.value,
        "pain-point F1": f1(pain_tp, pain_predicted, pain_gold),
        "decision-maker recall": dm_recall.value,
        "decision-maker precision": dm_precision.value,
        "budget stated or not": budget.value,
    }


def score_rep(scanner: Scanner, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    recall, precision, category = Ratio(), Ratio(), Ratio()
    lines = 0
    for row in rows:
        lines += 1
        result = scanner.scan(row["text"])
        gold = set(row["categories"])
        said = {flag.category for flag in result.flags}
        if gold:
            recall.add(bool(said))
            if said:
                category.add(bool(gold & said))
        if said:
            precision.add(bool(gold))
    return {
        "compliance recall": recall.value,
        "compliance precision": precision.value,
        "category accuracy": category.value,
        "lines": float(lines),
    }


def score_adlaw(scanner: Scanner, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """The practitioners' Advertising-Law words: a claim line counts when it gets an
    ``absolute_claim`` flag; a look-alike line (ordinary sense, sourced fact, negation)
    should get none."""
    caught, lookalike = Ratio(), Ratio()
    for row in rows:
        flagged = any(f.category == "absolute_claim" for f in scanner.scan(row["text"]).flags)
        (caught if row["kind"] == "claim" else lookalike).add(flagged)
    return {
        "ad-law words caught in a claim": caught.value,
        "look-alikes flagged": lookalike.value,
        "lines": float(caught.total + lookalike.total),
    }


def names_said(insights: Any) -> list[str]:
    found = folded(c.name for c in insights.competitors)
    for system in getattr(insights, "systems", []):
        found += system_names(system)
    return found


def system_names(system: Any) -> list[str]:
    return folded([system.name, getattr(system, "vendor", None) or ""])


def reported_spellings(insights: Any) -> frozenset[str]:
    """Every catalogue spelling of the systems reported: Oracle found is 甲骨文 found."""
    known = catalogue_spellings()
    return frozenset().union(
        *(known.get(system.name, ()) for system in getattr(insights, "systems", []))
    )


def same_vendor(
    said: list[str], gold: dict[str, Any], spellings: frozenset[str] = frozenset()
) -> bool:
    return names_vendor(said, gold["vendor"], gold.get("product"), spellings)


def score_vendors(extractor: InsightExtractor, rows: Iterable[dict[str, Any]]) -> dict[str, float]:
    """Vendor recall: a named system counts as found when a reported competitor or system
    names its vendor or product, or one of its catalogue spellings is that name (Oracle found
    is 甲骨文 found; the misheard spelling never counts); false positives: look-alike lines
    (no system) where anything is reported; role right: of the systems found in ``systems``,
    the share given the gold role (competitor, incumbent, integration, mentioned)."""
    recall, false_positive, misheard, role = Ratio(), Ratio(), Ratio(), Ratio()
    for row in rows:
        insights = extractor.extract(row["text"], speaker="customer")
        said, spellings = names_said(insights), reported_spellings(insights)
        if not row["systems"]:
            false_positive.add(bool(said))
        for gold in row["systems"]:
            found = same_vendor(said, gold, spellings)
            recall.add(found)
            if row.get("noise") == "asr":
                misheard.add(found)
            system = _system_for(insights, gold)
            if system is not None and gold.get("role"):
                role.add(system.role == gold["role"])
    return {
        "vendor recall": recall.value,
        "vendor recall, misheard": misheard.value,
        "look-alikes with a vendor": false_positive.value,
        "role right, of systems found": role.value,
        "systems": float(recall.total),
    }


def _system_for(insights: Any, gold: dict[str, Any]) -> Any:
    """The reported system that is the gold one, by the rule of :func:`same_vendor`."""
    known = catalogue_spellings()
    for system in getattr(insights, "systems", []):
        if same_vendor(system_names(system), gold, known.get(system.name, frozenset())):
            return system
    return None


def table(title: str, columns: dict[str, dict[str, float]]) -> Table:
    out = Table(title=title)
    out.add_column("measure")
    for column in columns:
        out.add_column(column, justify="right")
    for name in next(iter(columns.values())):
        whole = name in ("lines", "systems")
        out.add_row(
            name, *(f"{c[name]:.0f}" if whole else f"{c[name]:.3f}" for c in columns.values())
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customer", type=Path, default=BLIND_CUSTOMER)
    parser.add_argument("--rep", type=Path, default=BLIND_REP)
    parser.add_argument("--vendors", type=Path, default=BLIND_VENDORS)
    parser.add_argument("--adlaw", type=Path, default=BLIND_ADLAW)
    args = parser.parse_args()
    settings = get_settings()
    console = Console()
    models = bundled_models()
    rules = build_extractor(settings.insights)
    scanner = Scanner(settings.compliance)
    learned = assisted_extractor(rules, models.customer, roles=models.roles)
    extractors = {"rules": rules, "rules + model": learned}
    scanners = {"rules": scanner, "rules + model": assisted_scanner(scanner, models.rep)}

    customer_rows = read_jsonl(args.customer)
    console.print(
        table(
            f"customer lines: {args.customer.name} (n={len(customer_rows)})",
            {name: score_customer(e, customer_rows) for name, e in extractors.items()},
        )
    )
    rep_rows = read_jsonl(args.rep)
    console.print(
        table(
            f"rep lines: {args.rep.name}",
            {name: score_rep(s, rep_rows) for name, s in scanners.items()},
        )
    )
    adlaw_rows = read_jsonl(args.adlaw)
    console.print(
        table(
            f"Advertising-Law words: {args.adlaw.name}",
            {name: score_adlaw(s, adlaw_rows) for name, s in scanners.items()},
        )
    )
    vendor_rows = read_jsonl(args.vendors)
    console.print(
        table(
            f"vendors: {args.vendors.name}",
            {name: score_vendors(e, vendor_rows) for name, e in extractors.items()},
        )
    )


if __name__ == "__main__":
    main()
