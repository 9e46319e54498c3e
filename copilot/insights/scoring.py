"""Scoring extraction against labelled utterances (the shape of ``shared/devset/utterances.jsonl``).

A label line: ``{"id", "text", "budget": [min, max] | null, "objection": type | null,
"pain_points": [...], "decision": [...], "competitors": [...]}``.

Budget match: a prediction is right when both are null, or when the predicted interval — its
open bound closed the way the gold closes it (``Budget.estimate_min/max``: a ceiling is
[80%, 100%]) — overlaps the gold interval and each bound is within 20% of the gold bound.
Decision makers match when one name contains the other (gold 「副总」 vs said 「分管副总」),
against either the name or the role of an entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from copilot.insights.extractor import InsightExtractor
from copilot.insights.models import Budget, Insights

BOUND_TOLERANCE = 0.2


@dataclass(frozen=True)
class Labelled:
    id: str
    text: str
    budget: tuple[int, int] | None
    objection: str | None
    pain_points: frozenset[str]
    decision: tuple[str, ...]
    competitors: frozenset[str]


def load_labelled(path: Path) -> list[Labelled]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        budget = raw.get("budget")
        rows.append(
            Labelled(
                id=str(raw["id"]),
                text=raw["text"],
                budget=None if budget is None else (int(budget[0]), int(budget[1])),
                objection=raw.get("objection"),
                pain_points=frozenset(raw.get("pain_points", [])),
                decision=tuple(raw.get("decision", [])),
                competitors=frozenset(raw.get("competitors", [])),
            )
        )
    return rows


def budget_matches(predicted: Budget | None, gold: tuple[int, int] | None) -> bool:
    if predicted is None or gold is None:
        return predicted is None and gold is None
    low, high = predicted.estimate_min, predicted.estimate_max
    gold_low, gold_high = gold
    if low > gold_high or high < gold_low:
        return False
    return _close(low, gold_low) and _close(high, gold_high)


def _close(value: int, gold: int) -> bool:
    return abs(value - gold) <= BOUND_TOLERANCE * max(gold, 1)


def names_match(said: str, gold: str) -> bool:
    return bool(said) and (gold in said or said in gold)


@dataclass
class Counts:
    true_positive: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.true_positive / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    total: int = 0
    budget_correct: int = 0
    objections: Counts = field(default_factory=Counts)
    pain_points: Counts = field(default_factory=Counts)
    decision: Counts = field(default_factory=Counts)  # recall: gold names found
    decision_entries: Counts = field(default_factory=Counts)  # precision: entries right
    competitors: Counts = field(default_factory=Counts)
    misses: list[str] = field(default_factory=list)

    @property
    def budget_accuracy(self) -> float:
        return self.budget_correct / self.total if self.total else 1.0

    def as_rows(self) -> list[tuple[str, float]]:
        return [
            ("budget accuracy", self.budget_accuracy),
            ("objection precision", self.objections.precision),
            ("objection recall", self.objections.recall),
            ("pain-point F1", self.pain_points.f1),
            ("decision-maker recall", self.decision.recall),
            ("decision-maker precision", self.decision_entries.precision),
            ("competitor recall", self.competitors.recall),
            ("competitor precision", self.competitors.precision),
        ]


def score(extractor: InsightExtractor, rows: Iterable[Labelled]) -> Report:
    report = Report()
    for row in rows:
        report.total += 1
        predicted = extractor.extract(row.text, utterance_id=row.id)
        _score_one(report, row, predicted)
    return report


def _score_one(report: Report, row: Labelled, predicted: Insights) -> None:
    if budget_matches(predicted.budget, row.budget):
        report.budget_correct += 1
    else:
        said = predicted.budget and [predicted.budget.amount_min, predicted.budget.amount_max]
        report.misses.append(f"{row.id} budget {said} != {row.budget}")
    _count(
        report,
        row.id,
        "objection",
        report.objections,
        {o.type for o in predicted.objections},
        {row.objection} if row.objection else set(),
    )
    _count(
        report,
        row.id,
        "pain",
        report.pain_points,
        {p.category for p in predicted.pain_points},
        set(row.pain_points),
    )
    _count(
        report,
        row.id,
        "competitor",
        report.competitors,
        {c.name for c in predicted.competitors},
        set(row.competitors),
    )
    # Recall counts gold names found; precision counts entries that match some gold name
    # (one entry 「钱总（运营副总）」 can cover two gold names).
    entries = [{d.name, d.role or d.name} for d in predicted.decision_chain]
    found = [g for g in row.decision if any(names_match(n, g) for e in entries for n in e)]
    useful = [e for e in entries if any(names_match(n, g) for n in e for g in row.decision)]
    report.decision.true_positive += len(found)
    report.decision.gold += len(row.decision)
    report.decision_entries.true_positive += len(useful)
    report.decision_entries.predicted += len(entries)
    if len(found) < len(row.decision) or len(useful) < len(entries):
        chain = [str(d) for d in predicted.decision_chain]
        report.misses.append(f"{row.id} decision {chain} vs {list(row.decision)}")


def _count(
    report: Report, row_id: str, what: str, counts: Counts, predicted: set[str], gold: set[str]
) -> None:
    hits = predicted & gold
    counts.true_positive += len(hits)
    counts.predicted += len(predicted)
    counts.gold += len(gold)
    if predicted != gold:
        report.misses.append(f"{row_id} {what} {sorted(predicted)} vs {sorted(gold)}")
