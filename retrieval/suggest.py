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
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from retrieval.config import RetrievalConfig
from retrieval.embedders import Embedder, Vectors, build_embedder
from retrieval.errors import EmptyKnowledgeBaseWarning, RetrievalError
from retrieval.feedback import FeedbackSignal
from retrieval.ingest import IngestReport, Progress, ingest
from retrieval.loader import KnowledgeBase, load_kb
from retrieval.overlay import OverlayStore, embed_entries, merge_tags
from retrieval.ranking import Filters, HybridRanker, QuerySignals, Ranked
from retrieval.schema import KbEntry, Kind, ObjectionType
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
        synthetic entries); the other arguments replace what ``config`` would build.
        ``extractor`` reads objections and competitors when a caller passes no insights: the
        service and ``copilot suggest`` inject their configured one; without it, the lexicon
        stand-in (:class:`~retrieval.signals.LexiconExtractor`)."""
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

    def layered(
        self,
        entries: Sequence[KbEntry] = (),
        *,
        extra_tags: Mapping[str, Mapping[str, str]] | None = None,
        extractor: InsightSource | None = None,
        known_vectors: dict[str, Vectors] | None = None,
    ) -> Suggester:
        """A suggester over this one's entries plus ``entries`` (an organisation's own; one
        with the id of a shipped entry replaces it), with ``extra_tags`` added to the
        vocabulary (e.g. the competitor tags of the organisation's vendors) and its own
        ``extractor``. It shares this suggester's index and embedder: only the extra entries
        are embedded (``known_vectors`` caches them by content hash across rebuilds)."""
        base = self.ensure_ready()
        assert self._embedder is not None
        tags = merge_tags(base.tags, extra_tags or {})
        mine = {entry.id for entry in entries}
        combined = [entry for entry in base.entries if entry.id not in mine] + list(entries)
        vectors = embed_entries(entries, tags, self._embedder, known_vectors)
        store = OverlayStore(base.store, [entry.id for entry in entries], vectors)
        kb = KnowledgeBase(directory=self.kb.directory, entries=combined, tags=tags)
        layered = Suggester(
            self.config,
            embedder=self._embedder,
            feedback=self._feedback,
            extractor=extractor or self._extractor,
            kb=kb,
        )
        layered._ranker = HybridRanker(
            combined, tags, store, self._embedder, self.config.ranking, self._feedback
        )
        return layered

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


# How sure the objection (or vendor) behind a suggestion must be for all ``k`` cards, for one.
SURE_FOR_ALL_CARDS = 0.8
SURE_FOR_ONE_CARD = 0.5


def cards_for(confidence: float, k: int) -> int:
    """How many cards to show for an objection found with ``confidence`` (1.0 for a rule's
    find): all ``k`` when sure, one when fairly sure, none below — three cards about the
    wrong objection cost the rep more attention than they save."""
    if confidence >= SURE_FOR_ALL_CARDS:
        return k
    return min(k, 1) if confidence >= SURE_FOR_ONE_CARD else 0


def _as_filters(filters: FiltersLike) -> Filters:
    if filters is None:
        return Filters()
    if isinstance(filters, Filters):
        return filters
    try:
        return Filters.model_validate(dict(filters))
    except ValueError as exc:
        raise RetrievalError(f"bad filters: {exc}") from exc
