"""需求挖掘深度, objections answered and suggestion cards on hand-made calls (handmade.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from copilot.analytics.depth import call_depth, objections_answered, purchase_time_said
from copilot.analytics.suggestions import Card, Reaction, card_outcomes
from copilot.insights.models import (
    Commitment,
    Competitor,
    DecisionMaker,
    Evidence,
    Objection,
    System,
)
from speech.types import Segment
from tests.analytics import handmade

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_depth_of_the_handmade_call() -> None:
    depth = call_depth(handmade.insights(), handmade.segments())
    # budget ✓ (六十万), decision ✗ (nobody named), need ✓ (a pain point), timeline ✓ (s7:
    # 今年年底 + 上线 in one clause), competition ✗ -> 3 × 20 = 60.
    assert depth.as_dict() == {
        "budget": True,
        "decision": False,
        "need": True,
        "timeline": True,
        "competition": False,
    }
    assert depth.score == 60


def test_every_part_established_scores_100_and_none_scores_0() -> None:
    insights = handmade.insights().model_copy(
        update={
            "decision_chain": [
                DecisionMaker(name="钱总", role="运营副总", evidence=Evidence(text="钱总"))
            ],
            "systems": [
                System(name="金蝶云星空", role="incumbent", evidence=Evidence(text="金蝶"))
            ],
        }
    )
    assert call_depth(insights, handmade.segments()).score == 100
    empty = call_depth(handmade.insights().model_copy(update={
        "budget": None, "pain_points": [], "objections": []}), [])  # fmt: skip
    assert empty.score == 0


def test_competition_needs_a_rival_or_the_system_they_run_now() -> None:
    base = handmade.insights()
    merely = System(name="企业微信", role="integration", evidence=Evidence(text="企业微信"))
    assert not call_depth(base.model_copy(update={"systems": [merely]}), []).competition
    rival = Competitor(name="销售易", evidence=Evidence(text="销售易也在跟我们谈"))
    assert call_depth(base.model_copy(update={"competitors": [rival]}), []).competition


def test_timeline_from_a_dated_commitment_or_a_purchase_time() -> None:
    base = handmade.insights()
    dated = Commitment(who="rep", what="发方案", due="周四", evidence=Evidence(text="周四前"))
    undated = Commitment(who="customer", what="看看方案", evidence=Evidence(text="看看"))
    assert call_depth(base.model_copy(update={"commitments": [dated]}), []).timeline
    assert not call_depth(base.model_copy(update={"commitments": [undated]}), []).timeline
    assert purchase_time_said("我们计划下个月招标")
    assert purchase_time_said("三月份之前要上线")
    assert not purchase_time_said("他下周出差回来")  # a time, no purchase step
    assert not purchase_time_said("今年效果不错，合同的事以后再说")  # in different clauses
    # The rep saying it does not count: the customer must.
    rep_only = [Segment(id="r", speaker="rep", start=0, end=3, text="您看今年年底上线可以吗")]
    assert not call_depth(base, rep_only).timeline


def test_an_objection_is_answered_by_a_reply_within_ten_seconds_or_a_used_card() -> None:
    segments = handmade.segments()
    objections = handmade.insights().objections  # s9, 63–70 s
    # The rep's next turn s10 starts at 85 s, 15 s after s9 ended: not answered.
    assert objections_answered(objections, segments) == 0
    # ...unless the suggestion card shown for s9 was used.
    assert objections_answered(objections, segments, used_for_segments={"s9"}) == 1
    # A reply at 72 s (2 s after) answers it; a mere 嗯 does not.
    reply = Segment(id="x", speaker="rep", start=72.0, end=76.0, text="价格我们可以分期")
    assert objections_answered(objections, [*segments, reply]) == 1
    hum = Segment(id="x", speaker="rep", start=72.0, end=72.5, text="嗯。")
    assert objections_answered(objections, [*segments, hum]) == 0
    # An objection typed in by hand (no segment behind it) cannot be answered.
    by_hand = Objection(type="price", text="贵", evidence=Evidence(text=""))
    assert objections_answered([by_hand], segments, used_for_segments={"s9"}) == 0


def test_cards_used_dismissed_and_shown() -> None:
    at = [T0 + timedelta(seconds=s) for s in (0, 60, 120)]
    cards = [
        Card(segment_id="s9", entry_ids=frozenset({"kb-price", "kb-roi"}), shown_at=at[0]),
        Card(segment_id="s12", entry_ids=frozenset({"kb-price"}), shown_at=at[1]),
        Card(segment_id="s13", entry_ids=frozenset({"kb-trial"}), shown_at=at[2]),
        Card(segment_id="s14", entry_ids=frozenset(), shown_at=at[2]),  # nothing shown
    ]
    reactions = [
        # kb-price used at 30 s: the card shown at 0 s (the latest before it), not s12's.
        Reaction(entry_id="kb-price", action="used", at=T0 + timedelta(seconds=30)),
        # kb-trial dismissed and then used: the card counts as used only.
        Reaction(entry_id="kb-trial", action="dismissed", at=T0 + timedelta(seconds=125)),
        Reaction(entry_id="kb-trial", action="used", at=T0 + timedelta(seconds=130)),
        # An entry no card showed (asked for outside the call's cards): ignored.
        Reaction(entry_id="kb-other", action="used", at=T0),
    ]
    outcomes = card_outcomes(cards, reactions)
    # Shown: 3 cards with entries; used: s9's and s13's; dismissed-only: none.
    assert (outcomes.shown, outcomes.used, outcomes.dismissed) == (3, 2, 0)
    assert outcomes.used_segments == {"s9", "s13"}
    dismissed = card_outcomes(cards, [Reaction("kb-price", "dismissed", at[1])])
    # Dismissed at 60 s: the card shown at 60 s (s12), the latest at or before it.
    assert (dismissed.used, dismissed.dismissed, dismissed.used_segments) == (0, 1, frozenset())
    # A reaction before any card showed its entry goes to the first card that did.
    early = card_outcomes(cards, [Reaction("kb-trial", "used", at[0])])
    assert early.used_segments == {"s13"}
