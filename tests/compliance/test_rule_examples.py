"""Every rule's own examples, one test each: a positive example fires the rule, a negative
one does not; and through the whole scanner, negatives are compliant."""

from __future__ import annotations

import pytest

from compliance import CATEGORIES, ComplianceConfig, Scanner
from compliance.loader import load_pack
from compliance.selftest import fires, run_examples

PACK = load_pack(ComplianceConfig())
CASES = [
    pytest.param(rule.id, kind, text, id=f"{rule.id}-{kind}-{index}")
    for rule in PACK.rules
    for kind, texts in (("positive", rule.examples.positive), ("negative", rule.examples.negative))
    for index, text in enumerate(texts)
]


@pytest.mark.parametrize(("rule_id", "kind", "text"), CASES)
def test_rule_example(rule_id: str, kind: str, text: str) -> None:
    rule = PACK.rule(rule_id)
    assert rule is not None
    assert fires(PACK, rule, text) == (kind == "positive"), f"{rule_id} {kind}: {text}"


@pytest.mark.parametrize(("rule_id", "kind", "text"), CASES)
def test_example_through_the_scanner(scanner: Scanner, rule_id: str, kind: str, text: str) -> None:
    result = scanner.scan(text)
    category = rule_id.split(".")[0]
    if kind == "positive":
        assert category in result.categories and not result.compliant
    else:
        assert result.compliant, [str(flag) for flag in result.flags]


def test_every_category_has_rules_with_both_kinds_of_example() -> None:
    by_category = {rule.category for rule in PACK.rules}
    assert by_category == set(CATEGORIES)
    for rule in PACK.rules:
        assert rule.examples.positive and rule.examples.negative, rule.id
        assert rule.source.name == f"{rule.category}.yaml", "one file per category"


def test_run_examples_reports_all_passing() -> None:
    outcomes = run_examples(PACK)
    assert len(outcomes) == len(CASES)
    assert all(outcome.passed for outcome in outcomes)


def test_every_category_has_a_general_rewrite_that_is_itself_compliant(scanner: Scanner) -> None:
    # What a flag no rule raised (the learned model's) suggests: the rewrite after 改为 is
    # meant to be said as it stands.
    assert set(PACK.suggestions) == set(CATEGORIES)
    for category, suggestion in PACK.suggestions.items():
        rewrite = suggestion.split("改为", 1)[1]
        assert "「" in rewrite, category
        said = rewrite[rewrite.index("「") + 1 : rewrite.rindex("」")]
        assert scanner.scan(said).compliant, (category, said)
