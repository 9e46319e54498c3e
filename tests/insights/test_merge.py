"""Call-level insights: per-utterance records merged, newest budget first, history kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from copilot.insights import Insights, RuleExtractor, extract_call, merge_insights
from copilot.insights.models import UNNAMED_DECISION_MAKER, DecisionMaker, Evidence
from copilot.insights.scoring import budget_matches

CALLS = Path(__file__).resolve().parents[3] / "shared/devset/calls.json"


def test_newest_budget_wins_and_history_is_kept(extractor: RuleExtractor) -> None:
    insights = extract_call(
        extractor,
        [
            ("customer", "预算一百万以内。"),
            ("rep", "好的。"),
            ("customer", "其实八十万就够了。"),
        ],
        id_prefix="c1-",
    )
    assert insights.budget is not None
    assert insights.budget.amount_max == 800000
    assert insights.budget.evidence.utterance_id == "c1-3"
    assert [b.amount_max for b in insights.budget_history] == [1000000]


def test_duplicates_are_dropped_and_roles_filled_in(extractor: RuleExtractor) -> None:
    insights = extract_call(
        extractor,
        [
            ("customer", "这个要等我们李总回来再定。"),
            ("customer", "我们财务总监李总比较看重投入产出，销售易也在跟我们谈。"),
            ("customer", "销售易比你们便宜。"),
            ("customer", "这个要等我们李总回来再定。"),
        ],
    )
    assert [(d.name, d.role) for d in insights.decision_chain] == [("李总", "财务总监")]
    assert [c.name for c in insights.competitors] == ["销售易"]
    assert [c.evidence.utterance_id for c in insights.competitors] == ["t2"]
    assert [o.type for o in insights.objections].count("authority") == 1


def test_merging_merged_records_keeps_every_budget(extractor: RuleExtractor) -> None:
    first = extract_call(extractor, [("customer", "预算五十万。"), ("customer", "预算六十万。")])
    second = extract_call(extractor, [("customer", "预算七十万。")])
    merged = merge_insights([first, second])
    assert merged.budget is not None and merged.budget.amount_max == 700000
    assert [b.amount_max for b in merged.budget_history] == [500000, 600000]


def test_nothing_said_gives_empty_insights(extractor: RuleExtractor) -> None:
    assert extract_call(extractor, []) == Insights()
    assert merge_insights([Insights(), Insights()]).is_empty()


@pytest.mark.skipif(not CALLS.is_file(), reason="shared devset not present")
def test_devset_calls(extractor: RuleExtractor) -> None:
    for call in json.loads(CALLS.read_text(encoding="utf-8")):
        gold = call["gold"]
        insights = extract_call(extractor, [tuple(turn) for turn in call["turns"]])
        assert budget_matches(insights.budget, tuple(gold["budget"])), call["id"]
        said = {n for d in insights.decision_chain for n in (d.name, d.role) if n}
        assert set(gold["decision"]) <= said, call["id"]
        assert {p.category for p in insights.pain_points} == set(gold["pain_points"])
        assert {o.type for o in insights.objections} == set(gold["objections"])
        assert {c.name for c in insights.competitors} == set(gold["competitors"])
        assert all(c.who == "rep" for c in insights.commitments)


def test_the_unnamed_decision_maker_stays_only_in_a_call_that_names_none() -> None:
    def said(name: str, n: int) -> Insights:
        person = DecisionMaker(
            name=name, kind="role", evidence=Evidence(utterance_id=f"u{n}", text=name)
        )
        return Insights(decision_chain=[person])

    named = merge_insights([said(UNNAMED_DECISION_MAKER, 1), said("孙总", 2)])
    assert [p.name for p in named.decision_chain] == ["孙总"]
    unnamed = merge_insights([said(UNNAMED_DECISION_MAKER, 1), said(UNNAMED_DECISION_MAKER, 2)])
    assert [p.name for p in unnamed.decision_chain] == [UNNAMED_DECISION_MAKER]
