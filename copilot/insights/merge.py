"""Call-level insights: the per-utterance records merged, duplicates dropped.

The newest budget wins — customers revise (「一百万以内」, later 「其实八十万就够」) — and the
earlier ones stay in ``budget_history``, oldest first. A decision maker said without a name
(「决策人（未具名）」) stays only in a call that names none.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from copilot.insights.extractor import InsightExtractor
from copilot.insights.models import (
    UNNAMED_DECISION_MAKER,
    Budget,
    DecisionMaker,
    Insights,
    Speaker,
)
from copilot.insights.systems import merge_systems

Item = TypeVar("Item")


def merge_insights(records: Iterable[Insights]) -> Insights:
    """One record for a whole call, in the order things were said."""
    records = list(records)
    budgets: list[Budget] = []
    for record in records:
        budgets.extend(record.budget_history)
        if record.budget is not None:
            budgets.append(record.budget)
    return Insights(
        budget=budgets[-1] if budgets else None,
        budget_history=budgets[:-1],
        decision_chain=_merge_people([p for r in records for p in r.decision_chain]),
        pain_points=_unique(
            [p for r in records for p in r.pain_points], lambda p: (p.category, p.text)
        ),
        objections=_unique([o for r in records for o in r.objections], lambda o: (o.type, o.text)),
        competitors=_unique([c for r in records for c in r.competitors], lambda c: c.name),
        commitments=_unique(
            [c for r in records for c in r.commitments], lambda c: (c.who, c.what, c.due)
        ),
        systems=merge_systems([s for r in records for s in r.systems]),
    )


def extract_call(
    extractor: InsightExtractor, turns: Iterable[tuple[Speaker, str]], id_prefix: str = "t"
) -> Insights:
    """Insights of a call given as ``(speaker, text)`` turns; evidence ids are
    ``{id_prefix}{n}`` with n counted from 1."""
    return merge_insights(
        extractor.extract(text, speaker=speaker, utterance_id=f"{id_prefix}{n}")
        for n, (speaker, text) in enumerate(turns, 1)
    )


def _unique(items: list[Item], key: Callable[[Item], Hashable]) -> list[Item]:
    seen: set[Hashable] = set()
    kept = []
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            kept.append(item)
    return kept


def _merge_people(people: list[DecisionMaker]) -> list[DecisionMaker]:
    """One entry per name; a role learnt later fills in one said without it (李总 … 财务总监
    李总). Where the call names someone, the unnamed one goes: it tells nothing more (who it
    was is mostly who the call names) and crowds the names in the summary and the CRM."""
    if any(person.name != UNNAMED_DECISION_MAKER for person in people):
        people = [person for person in people if person.name != UNNAMED_DECISION_MAKER]
    merged: dict[str, DecisionMaker] = {}
    for person in people:
        known = merged.get(person.name)
        if known is None:
            merged[person.name] = person.model_copy()
        elif known.role in (None, known.name) and person.role not in (None, person.name):
            known.role = person.role
    return list(merged.values())
