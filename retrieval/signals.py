"""What the ranker needs to know about a customer utterance: the objection types raised and
the competitors named.

The suggester takes them from an ``Insights`` record (``copilot.insights``) when the caller
has one — the live pipeline extracts insights anyway — and otherwise runs an extractor. The
shapes here are structural protocols, so this library does not import the service's models;
any object with ``objections[].type`` and ``competitors[].name`` will do.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from retrieval.embedders.hashed import ConceptLexicon, ConceptMatcher
from retrieval.ranking import QuerySignals
from retrieval.schema import OBJECTION_TYPES, ObjectionType, TagVocabulary
from retrieval.text import normalize

logger = logging.getLogger(__name__)


class ObjectionLike(Protocol):
    @property
    def type(self) -> str: ...


class CompetitorLike(Protocol):
    @property
    def name(self) -> str: ...


class InsightsLike(Protocol):
    """The part of CONTRACT's ``Insights`` that ranking uses."""

    @property
    def objections(self) -> Sequence[ObjectionLike]: ...

    @property
    def competitors(self) -> Sequence[CompetitorLike]: ...


class InsightSource(Protocol):
    """Anything that reads insights from text: ``copilot.insights.RuleExtractor`` fits."""

    def extract(self, text: str) -> InsightsLike: ...


def signals_from(insights: InsightsLike, tags: TagVocabulary) -> QuerySignals:
    objections = tuple(
        dict.fromkeys(
            cast(ObjectionType, o.type) for o in insights.objections if o.type in OBJECTION_TYPES
        )
    )
    competitors = tuple(
        dict.fromkeys(tag for c in insights.competitors if (tag := tags.find("competitor", c.name)))
    )
    return QuerySignals(objections=objections, competitor_tags=competitors)


@dataclass(frozen=True)
class _Objection:
    type: str


@dataclass(frozen=True)
class _Competitor:
    name: str


@dataclass(frozen=True)
class LexiconInsights:
    objections: tuple[_Objection, ...]
    competitors: tuple[_Competitor, ...]


class LexiconExtractor:
    """A rough stand-in for the insight extractor when ``copilot`` is not installed: the
    objection concepts of the embedder's lexicon, and competitor names from the tag labels.
    It has no negation handling («不是价格的问题» still reads as price)."""

    def __init__(self, tags: TagVocabulary, lexicon: ConceptLexicon | None = None) -> None:
        self._matcher = ConceptMatcher(lexicon or ConceptLexicon.load())
        self._competitors = {label: label for label in tags.groups.get("competitor", {}).values()}

    def extract(self, text: str) -> LexiconInsights:
        normalized = normalize(text)
        concepts = [c for c in self._matcher.names(normalized) if c in OBJECTION_TYPES]
        named = [name for name in self._competitors if normalize(name) in normalized]
        return LexiconInsights(
            objections=tuple(_Objection(c) for c in concepts),
            competitors=tuple(_Competitor(name) for name in named),
        )


def default_extractor(tags: TagVocabulary) -> InsightSource:
    """The project's rule-based insight extractor — the one objection detector, measured on
    the devset — imported lazily so that ``retrieval`` imports and works without the
    service package; without it, the lexicon stand-in."""
    try:
        from copilot.insights import RuleExtractor
    except ImportError:
        logger.warning("copilot.insights is not importable: objections come from the lexicon")
        return LexiconExtractor(tags)
    return RuleExtractor()
