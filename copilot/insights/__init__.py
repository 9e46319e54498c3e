"""Insight extraction: budgets, decision chains, pain points, objections, competitors and
commitments from what customers say, each with the words it came from.

    from copilot.insights import RuleExtractor
    RuleExtractor().extract("预算一百万以内，要李总拍板。", utterance_id="u1")
"""

from copilot.insights.backends import BACKENDS, build_extractor
from copilot.insights.base import InsightExtractor
from copilot.insights.config import InsightConfig, LLMConfig
from copilot.insights.extractor import RuleExtractor
from copilot.insights.merge import extract_call, merge_insights
from copilot.insights.models import (
    Budget,
    Commitment,
    Competitor,
    DecisionMaker,
    Evidence,
    Insights,
    Objection,
    PainPoint,
)

__all__ = [
    "BACKENDS",
    "Budget",
    "Commitment",
    "Competitor",
    "DecisionMaker",
    "Evidence",
    "InsightConfig",
    "InsightExtractor",
    "Insights",
    "LLMConfig",
    "Objection",
    "PainPoint",
    "RuleExtractor",
    "build_extractor",
    "extract_call",
    "merge_insights",
]
