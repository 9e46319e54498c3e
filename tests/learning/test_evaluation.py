"""The corpus scores: what each label's counts hold."""

from __future__ import annotations

from copilot.insights import RuleExtractor
from copilot.learning.corpus import Example
from copilot.learning.evaluation import score_customer


def test_budget_counts_a_budget_read_against_a_budget_labelled() -> None:
    examples = [
        Example("b1", "今年这块预算大概三十万左右。", ("budget",)),  # stated and read
        Example("b2", "护工一个人一个月要五千，还留不住人。", ()),  # read, not a budget
        Example("b3", "钱的事我回头再跟你说。", ("budget",)),  # labelled, nothing to read
        Example("b4", "我们先看看方案吧。", ()),
    ]
    scores = score_customer(RuleExtractor(), examples)
    rows = dict(scores.rows())
    assert (scores.budget.true_positive, scores.budget.predicted, scores.budget.gold) == (1, 2, 2)
    assert rows["budget recall"] == 0.5 and rows["budget precision"] == 0.5
