"""The eighty whole calls written blind as text (bench/data/text_calls, tuned on since): the
decision makers and budgets the engines find in them may not fall back. Their figures at
the time of writing: decision makers 89 of 95, budgets 48 of 50, no budget where none was
said 24 of 30, and 92 of the 123 names reported those of a decision maker
(``python -m bench.text_calls --misses`` lists what is missed and what is named wrongly)."""

from __future__ import annotations

import json

from bench.text_calls import DATA, score_calls


def test_the_text_calls_keep_their_decision_makers_and_budgets() -> None:
    scores = score_calls(json.loads(DATA.read_text(encoding="utf-8")))
    assert (scores.decision.total, scores.budget.total, scores.no_budget.total) == (95, 50, 30)
    assert scores.decision.found >= 89, scores.misses
    assert scores.named_right.found >= 92 and scores.named_right.total <= 123, scores.misses
    assert scores.budget.found >= 48, scores.misses
    assert scores.no_budget.found >= 24, scores.misses
