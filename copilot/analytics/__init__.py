"""Per-call figures for the manager's analytics: conversation (talk ratio, monologue,
questions, interactivity, patience), 需求挖掘深度, objections answered, suggestion use.

Pure functions over a call's segments and summary; ``copilot.store.call_metrics`` stores
what they compute once per call. Definitions: docs/metrics.md.
"""

from __future__ import annotations

from copilot.analytics.conversation import ConversationStats, conversation_stats
from copilot.analytics.depth import Depth, call_depth, objections_answered
from copilot.analytics.suggestions import Card, CardOutcomes, Reaction, card_outcomes

# Raise when a definition changes: ``copilot analytics backfill`` recomputes older rows.
METRICS_VERSION = 1

__all__ = [
    "METRICS_VERSION",
    "Card",
    "CardOutcomes",
    "ConversationStats",
    "Depth",
    "Reaction",
    "call_depth",
    "card_outcomes",
    "conversation_stats",
    "objections_answered",
]
