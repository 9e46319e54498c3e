"""What the ranker needs to know about a customer utterance: the objection types raised and
the competitors named.

The suggester takes them from an ``Insights`` record when the caller has one — the live
pipeline extracts insights anyway — and otherwise runs the extractor it was given: the
service and the command line inject their configured one (``copilot.insights``). Alone, the
library falls back to :class:`LexiconExtractor`. The shapes here are structural protocols,
so this library does not import the service's models; any object with ``objections[].type``
and ``competitors[].name`` will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from retrieval.embedders.hashed import ConceptLexicon, ConceptMatcher
from retrieval.ranking import QuerySignals
from retrieval.schema import OBJECTION_TYPES, ObjectionType, TagVocabulary
from retrieval.text import normalize


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
    """A rough stand-in for the insight extractor when none is injected: the
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
    """The extractor of a suggester given none: the lexicon stand-in. The service's rule
    extractor (negation, competitor aliases, configured competitor lists) is injected by
    whoever composes the two, never imported from here."""
    return LexiconExtractor(tags)
