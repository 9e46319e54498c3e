"""Suggestion feedback → per-org counts → a bounded ranking adjustment."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from copilot.store import repo

from .conftest import World


def test_counts_are_per_entry_and_per_org(db_session: Session, world: World) -> None:
    s = db_session
    for action in ("used", "used", "dismissed"):
        repo.add_feedback(
            s, org_id=world.org.id, user_id=world.rep_a1.id, entry_id="kb-price", action=action
        )
    repo.add_feedback(
        s, org_id=world.org.id, user_id=world.rep_b.id, entry_id="kb-case", action="dismissed"
    )
    for _ in range(5):
        repo.add_feedback(
            s,
            org_id=world.other_org.id,
            user_id=world.other_rep.id,
            entry_id="kb-price",
            action="dismissed",
        )
    counts = repo.feedback_counts(s, world.org.id)
    assert counts == {
        "kb-price": repo.FeedbackCounts(used=2, dismissed=1),
        "kb-case": repo.FeedbackCounts(used=0, dismissed=1),
    }
    assert repo.feedback_counts(s, world.org.id, ["kb-case"]) == {
        "kb-case": repo.FeedbackCounts(0, 1)
    }
    assert repo.feedback_counts(s, world.other_org.id) == {"kb-price": repo.FeedbackCounts(0, 5)}

    signal = repo.FeedbackAdjustments.load(s, world.org.id)
    assert signal.adjustment("kb-price") == pytest.approx(0.1 * 1 / 6)
    assert signal.adjustment("kb-case") == pytest.approx(-0.1 / 4)
    assert signal.adjustment("never-shown") == 0.0
    assert signal.counts("kb-price") == repo.FeedbackCounts(2, 1)
    with pytest.raises(repo.InvalidInput):
        repo.add_feedback(s, org_id=world.org.id, user_id=world.rep_a1.id, entry_id="x", action="x")


def test_the_adjustment_stays_bounded_and_monotonic() -> None:
    signal = repo.FeedbackAdjustments(
        {
            "loved": repo.FeedbackCounts(used=10_000),
            "liked": repo.FeedbackCounts(used=10),
            "tried": repo.FeedbackCounts(used=1),
            "hated": repo.FeedbackCounts(dismissed=10_000),
        }
    )
    loved, liked, tried, hated = map(signal.adjustment, ("loved", "liked", "tried", "hated"))
    assert 0.1 > loved > liked > tried > 0 > hated > -0.1


def test_it_is_a_retrieval_feedback_signal_that_keeps_up_with_new_reactions() -> None:
    from retrieval import FeedbackSignal, InMemoryFeedback

    stored = repo.FeedbackAdjustments({})
    assert isinstance(stored, FeedbackSignal)
    memory = InMemoryFeedback()
    for action in ("used", "used", "dismissed"):
        stored.record("kb-1", action)
        memory.record("kb-1", action)  # type: ignore[arg-type]
    assert stored.counts("kb-1") == repo.FeedbackCounts(2, 1)
    assert stored.adjustment("kb-1") == pytest.approx(memory.adjustment("kb-1"))
