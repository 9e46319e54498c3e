"""Scores on a labelled split, the same for rules alone and rules + model.

Customer side: objection precision/recall (micro, over types), main-type accuracy (first
predicted objection = first gold one, over utterances with an objection), pain-point F1,
decision-maker recall and precision (an utterance naming one vs the chain being non-empty),
budget recall and precision (an utterance stating one vs a budget read).
Rep side, as :mod:`compliance.evaluation`: recall and precision of blocking flags per
message, category accuracy (flagged categories contain the gold ones) over messages caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from compliance import Scanner
from copilot.insights import scoring
from copilot.insights.base import InsightExtractor
from copilot.learning.corpus import BUDGET, DECISION_MAKER, Example


class Counts(scoring.Counts):
    """The insight scoring's counts, filled one example's label sets at a time."""

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.true_positive += len(predicted & gold)
        self.predicted += len(predicted)
        self.gold += len(gold)


@dataclass
class CustomerScores:
    total: int = 0
    objections: Counts = field(default_factory=Counts)
    main_right: int = 0
    main_total: int = 0
    pains: Counts = field(default_factory=Counts)
    decision: Counts = field(default_factory=Counts)
    budget: Counts = field(default_factory=Counts)

    def rows(self) -> list[tuple[str, float]]:
        return [
            ("objection precision", self.objections.precision),
            ("objection recall", self.objections.recall),
            ("main type accuracy", self.main_right / self.main_total if self.main_total else 1.0),
            ("pain-point F1", self.pains.f1),
            ("pain-point precision", self.pains.precision),
            ("pain-point recall", self.pains.recall),
            ("decision-maker recall", self.decision.recall),
            ("decision-maker precision", self.decision.precision),
            ("budget recall", self.budget.recall),
            ("budget precision", self.budget.precision),
        ]


@dataclass
class RepScores:
    total: int = 0
    violating: int = 0
    flagged: int = 0
    caught: int = 0
    category_right: int = 0
    categories: Counts = field(default_factory=Counts)

    def rows(self) -> list[tuple[str, float]]:
        return [
            ("compliance recall", self.caught / self.violating if self.violating else 1.0),
            ("compliance precision", self.caught / self.flagged if self.flagged else 1.0),
            ("category accuracy", self.category_right / self.caught if self.caught else 1.0),
            ("category precision", self.categories.precision),
            ("category recall", self.categories.recall),
        ]


def _gold(example: Example, prefix: str) -> list[str]:
    return [label.split(":", 1)[1] for label in example.labels if label.startswith(prefix)]


def score_customer(extractor: InsightExtractor, examples: Sequence[Example]) -> CustomerScores:
    scores = CustomerScores()
    for example in examples:
        insights = extractor.extract(example.text, utterance_id=example.id)
        scores.total += 1
        gold_objections = _gold(example, "objection:")
        scores.objections.add({o.type for o in insights.objections}, set(gold_objections))
        if gold_objections:
            scores.main_total += 1
            first = insights.objections[0].type if insights.objections else None
            scores.main_right += first == gold_objections[0]
        scores.pains.add({p.category for p in insights.pain_points}, set(_gold(example, "pain:")))
        _add_presence(scores.decision, DECISION_MAKER, bool(insights.decision_chain), example)
        _add_presence(scores.budget, BUDGET, insights.budget is not None, example)
    return scores


def _add_presence(counts: Counts, label: str, found: bool, example: Example) -> None:
    """Count a label said or not (a decision maker, a budget): found vs the line's label."""
    counts.add({label} if found else set(), {label} & set(example.labels))


def score_rep(scanner: Scanner, examples: Sequence[Example]) -> RepScores:
    scores = RepScores()
    results = scanner.scan_many(example.text for example in examples)
    for example, result in zip(examples, results, strict=True):
        gold = set(example.labels)
        flagged = not result.compliant
        scores.total += 1
        scores.violating += bool(gold)
        scores.flagged += flagged
        found: set[str] = {f.category for f in result.flags if f.severity != "low"}
        scores.categories.add(found, gold)
        if gold and flagged:
            scores.caught += 1
            scores.category_right += gold <= found
    return scores
