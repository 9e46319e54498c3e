"""Which suggestion cards a rep used: 知识复用率's numerator and denominator for one call.

A card is one final (not provisional) suggestion event with at least one KB entry: what the
side panel showed for one customer segment. Reactions (``suggestion_feedback``) name an
entry, not a card, so each is matched to one card that showed its entry: the latest shown
at or before the reaction, else the first shown after it (a reaction to the provisional card
of a segment whose final card came a moment later). A card is ``used`` when a reaction
marked one of its entries used, ``dismissed`` when it was dismissed and nothing of it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Card:
    segment_id: str
    entry_ids: frozenset[str]
    shown_at: datetime


@dataclass(frozen=True)
class Reaction:
    entry_id: str
    action: str  # used | dismissed
    at: datetime


@dataclass(frozen=True)
class CardOutcomes:
    shown: int
    used: int
    dismissed: int
    # Segments whose card was used: their objections count as answered.
    used_segments: frozenset[str]


def card_outcomes(cards: Sequence[Card], reactions: Sequence[Reaction]) -> CardOutcomes:
    shown = [card for card in cards if card.entry_ids]
    used: set[int] = set()
    dismissed: set[int] = set()
    for reaction in sorted(reactions, key=lambda r: r.at):
        index = _card_for(shown, reaction)
        if index is not None:
            (used if reaction.action == "used" else dismissed).add(index)
    dismissed -= used
    return CardOutcomes(
        shown=len(shown),
        used=len(used),
        dismissed=len(dismissed),
        used_segments=frozenset(shown[i].segment_id for i in used),
    )


def _card_for(cards: Sequence[Card], reaction: Reaction) -> int | None:
    showing = [i for i, card in enumerate(cards) if reaction.entry_id in card.entry_ids]
    before = [i for i in showing if cards[i].shown_at <= reaction.at]
    if before:
        return max(before, key=lambda i: cards[i].shown_at)
    return min(showing, key=lambda i: cards[i].shown_at) if showing else None
