"""Live suggestions: what the rep could say next, for what the customer just said.

    from retrieval import Suggester
    Suggester().suggest("你们这个价格太贵了").model_dump()
    # {"objection": "price", "suggestions": [{"id": "kb-script-price-…", …, "score": 0.97}, …]}

On first use the suggester loads the KB files, brings the Chroma index in line with them
(idempotent: nothing is re-embedded when nothing changed) and builds the BM25 index, so a
fresh clone answers with no manual ingest step.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Mapping

from pydantic import BaseModel, Field

from retrieval.config import RetrievalConfig
from retrieval.embedders import Embedder, build_embedder
from retrieval.errors import EmptyKnowledgeBaseWarning, RetrievalError
from retrieval.feedback import FeedbackSignal
from retrieval.ingest import IngestReport, Progress, ingest
from retrieval.loader import KnowledgeBase, load_kb
from retrieval.ranking import Filters, HybridRanker, QuerySignals, Ranked
from retrieval.schema import Kind, ObjectionType
from retrieval.signals import InsightsLike, InsightSource, default_extractor, signals_from
from retrieval.store import ChromaStore
from retrieval.text import tail_window

logger = logging.getLogger(__name__)


class Suggestion(BaseModel):
    id: str
    kind: Kind
    title: str
    text: str
    tags: list[str]
    score: float = Field(ge=0.0, le=1.0)

    @classmethod
    def of(cls, ranked: Ranked) -> Suggestion:
        entry = ranked.entry
        return cls(
            id=entry.id,
            kind=entry.kind,
            title=entry.title,
            text=entry.text,
            tags=list(entry.tags),
            score=round(ranked.score, 4),
        )


class SuggestResult(BaseModel):
    """CONTRACT.md ``SuggestResult``."""

    objection: ObjectionType | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)

    def __str__(self) -> str:
        head = f"异议: {self.objection or '（未识别）'}"
        lines = [head] + [f"{s.score:.2f}  [{s.kind}] {s.id}  {s.title}" for s in self.suggestions]
        return "\n".join(lines)


FiltersLike = Filters | Mapping[str, object] | None


class Suggester:
    """Ranks KB entries for an utterance. Thread-safe after :meth:`ensure_ready`; the first
    call does it under a lock."""

    def __init__(
        self,
        config: RetrievalConfig | None = None,
        *,
        embedder: Embedder | None = None,
        feedback: FeedbackSignal | None = None,
        extractor: InsightSource | None = None,
        kb: KnowledgeBase | None = None,
    ) -> None:
        """``kb`` replaces reading ``config.kb_dir`` (content built elsewhere, a benchmark's
        synthetic entries); the other arguments replace what ``config`` would build."""
        self.config = config or RetrievalConfig()
        self._embedder = embedder
        self._feedback = feedback
        self._extractor = extractor
        self._lock = threading.Lock()
        self._ranker: HybridRanker | None = None
        self._given_kb = kb
        self._kb: KnowledgeBase | None = kb
        self.last_ingest: IngestReport | None = None

    # -- set-up --------------------------------------------------------------------------

    def ensure_ready(self, progress: Progress | None = None) -> HybridRanker:
        """Load the KB, sync the index, build BM25 — once."""
        with self._lock:
            if self._ranker is None:
                self._ranker = self._build(progress)
            return self._ranker

    def _build(self, progress: Progress | None) -> HybridRanker:
        kb = self._given_kb if self._given_kb is not None else load_kb(self.config.kb_dir)
        if not kb.entries:
            warnings.warn(
                f"the knowledge base at {self.config.kb_dir} has no entries: "
                "suggestions stay empty until content is added",
                EmptyKnowledgeBaseWarning,
                stacklevel=3,
            )
        embedder = self._embedder or build_embedder(self.config.embedder)
        store = ChromaStore(self.config.chroma, embedder_name=embedder.name, dim=embedder.dim)
        self.last_ingest = ingest(kb.entries, kb.tags, store, embedder, progress)
        if self.last_ingest.changed:
            logger.info("knowledge-base index %s: %s", store.where, self.last_ingest)
        self._kb = kb
        self._embedder = embedder
        return HybridRanker(
            kb.entries, kb.tags, store, embedder, self.config.ranking, self._feedback
        )

    def close(self) -> None:
        with self._lock:
            if self._ranker is not None:
                self._ranker.store.close()
                self._ranker = None

    @property
    def kb(self) -> KnowledgeBase:
        self.ensure_ready()
        assert self._kb is not None
        return self._kb

    @property
    def is_empty(self) -> bool:
        return not self.kb.entries

    # -- queries -------------------------------------------------------------------------

    def suggest(
        self,
        text: str,
        insights: InsightsLike | None = None,
        *,
        k: int | None = None,
        filters: FiltersLike = None,
        feedback: FeedbackSignal | None = None,
    ) -> SuggestResult:
        """Suggestions for what a customer said. ``insights`` (CONTRACT ``Insights``) saves
        running the extractor when the caller already has them; live suggestions are
        limited to ``ranking.suggest_kinds`` unless ``filters.kind`` says otherwise."""
        ranker = self.ensure_ready()
        query = tail_window(text, self.config.query_window_chars)
        if insights is None:
            insights = self._extractor_for(ranker).extract(query)
        signals = signals_from(insights, ranker.tags)
        chosen = _as_filters(filters)
        if chosen.kind is None:
            chosen = chosen.model_copy(update={"kind": tuple(self.config.ranking.suggest_kinds)})
        objection = signals.objections[0] if signals.objections else None
        ranked = ranker.rank(
            query, signals, k=k or self.config.k, filters=chosen, feedback=feedback
        )
        return SuggestResult(objection=objection, suggestions=[Suggestion.of(r) for r in ranked])

    def search(
        self,
        query: str,
        *,
        k: int | None = None,
        filters: FiltersLike = None,
        signals: QuerySignals | None = None,
    ) -> list[Suggestion]:
        """Plain search over every kind (``copilot kb search``): no extractor, no boosts
        unless ``signals`` are given."""
        ranker = self.ensure_ready()
        query = tail_window(query, self.config.query_window_chars)
        ranked = ranker.rank(query, signals, k=k or self.config.k, filters=_as_filters(filters))
        return [Suggestion.of(r) for r in ranked]

    def _extractor_for(self, ranker: HybridRanker) -> InsightSource:
        if self._extractor is None:
            self._extractor = default_extractor(ranker.tags)
        return self._extractor


def _as_filters(filters: FiltersLike) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    try:
        return Filters.model_validate(dict(filters))
    except ValueError as exc:
        raise RetrievalError(f"bad filters: {exc}") from exc
