"""Scoring a scanner on labelled messages (``{"id", "text", "violation", "categories"}``
per line, the shape of ``shared/devset/messages.jsonl``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from compliance.models import Category
from compliance.scanner import Scanner


class LabelledMessage(BaseModel):
    id: str
    text: str
    violation: bool
    categories: list[Category] = []


@dataclass
class Metrics:
    """recall: violating messages flagged / violating messages; precision: flagged messages
    that truly violate / flagged messages; category accuracy: of the violating messages that
    were flagged, those whose flagged categories contain the gold ones (exact: equal them)."""

    total: int = 0
    violating: int = 0
    flagged: int = 0
    true_positive: int = 0
    category_contains: int = 0
    category_exact: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    wrong_category: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_positive / self.violating if self.violating else 1.0

    @property
    def precision(self) -> float:
        return self.true_positive / self.flagged if self.flagged else 1.0

    @property
    def category_accuracy(self) -> float:
        return self.category_contains / self.true_positive if self.true_positive else 1.0

    @property
    def category_exact_accuracy(self) -> float:
        return self.category_exact / self.true_positive if self.true_positive else 1.0


def load_labelled(path: Path) -> list[LabelledMessage]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [LabelledMessage.model_validate(json.loads(line)) for line in lines if line.strip()]


def score(scanner: Scanner, messages: list[LabelledMessage]) -> Metrics:
    metrics = Metrics(total=len(messages))
    results = scanner.scan_many(message.text for message in messages)
    for message, result in zip(messages, results, strict=True):
        flagged = not result.compliant
        found = result.categories
        metrics.violating += message.violation
        metrics.flagged += flagged
        if message.violation and flagged:
            metrics.true_positive += 1
            gold = set(message.categories)
            metrics.category_contains += gold <= found
            metrics.category_exact += gold == found
            if not gold <= found:
                metrics.wrong_category.append(f"{message.id}: {sorted(found)} ≠ {sorted(gold)}")
        elif message.violation:
            metrics.misses.append(f"{message.id}: {message.text}")
        elif flagged:
            rules = ", ".join(flag.rule_id for flag in result.flags)
            metrics.false_alarms.append(f"{message.id}: {message.text} [{rules}]")
    return metrics
