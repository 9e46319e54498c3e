"""Running every rule's own examples: a positive example must fire its rule, a negative one
must not. Used by ``copilot rules test`` and by the test suite."""

from __future__ import annotations

from dataclasses import dataclass

from compliance.engine import evaluate
from compliance.pack import Rule, RulePack
from compliance.schema import ExampleKind
from compliance.text import Document


@dataclass(frozen=True)
class ExampleOutcome:
    rule_id: str
    kind: ExampleKind
    text: str
    passed: bool


def fires(pack: RulePack, rule: Rule, text: str) -> bool:
    """Whether ``rule`` itself fires on ``text`` (before overlapping flags are merged)."""
    return any(hit.rule is rule for hit in evaluate(pack, Document.of(text), only=rule))


def run_examples(pack: RulePack) -> list[ExampleOutcome]:
    outcomes = []
    for rule in pack.rules:
        for text in rule.examples.positive:
            outcomes.append(ExampleOutcome(rule.id, "positive", text, fires(pack, rule, text)))
        for text in rule.examples.negative:
            outcomes.append(ExampleOutcome(rule.id, "negative", text, not fires(pack, rule, text)))
    return outcomes
