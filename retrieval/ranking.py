"""Hybrid ranking: BM25 and vector candidates, fused, filtered, boosted and diversified.

1. Filters (kind, industry, objection, tier) become a boolean mask over the in-memory
   entries — numpy masks per tag, so a filter costs microseconds at 10k entries. Chroma's
   local mode has no metadata index, so filtering is never left to its ``where``.
2. Candidates: BM25 over the allowed entries; the vector search asks Chroma for more than
   it needs and drops what the filter excludes, or, when the filter keeps few entries, asks
   Chroma only about those ids.
3. Reciprocal-rank fusion (``w / (rrf_k + rank)`` summed over both lists, scaled to 0..1):
   BM25 scores and cosine similarities live on different scales, ranks do not.
4. Boosts: entries tagged with the objection the customer raised (the first one fully,
   later ones half) and with a competitor they named; rep feedback adds a small bounded
   adjustment. The score is divided by the best score possible, so an entry that fits
   everything scores close to 1. When signals were looked for (live suggestions) and no
   objection was found, the objection boost still counts in that best score: without a
   detected concern no entry scores above 1 / (1 + objection_boost), and a panel can
   show weak suggestions as such. Plain search (no signals) scores on relevance alone.
5. Diversity: at most ``max_per_kind_top3`` entries of one kind in the top three, as long as
   an entry of another kind scores ``diversity_ratio`` of the one it displaces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, field_validator

from retrieval.bm25 import BM25Index
from retrieval.config import RankingConfig
from retrieval.embedders.base import Embedder
from retrieval.errors import RetrievalError
from retrieval.feedback import FeedbackSignal, NoFeedback
from retrieval.schema import KbEntry, Kind, ObjectionType, TagVocabulary, searchable_text
from retrieval.store import VectorIndex

Mask = npt.NDArray[np.bool_]
# Below this share of allowed entries, the vector search names the allowed ids to Chroma
# instead of over-fetching and dropping.
ID_SEARCH_BELOW = 0.3


class Filters(BaseModel):
    """Which entries may be returned. ``industry`` and ``tier`` also keep entries that are
    not specific to any (tagged ``general``, or with no industry / tier tag at all): a
    general script suits a manufacturing call too."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: tuple[Kind, ...] | None = None
    industry: str | None = None
    objection: ObjectionType | None = None
    tier: str | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


@dataclass(frozen=True)
class QuerySignals:
    """What the insight extractor found: objection types (the main one first) and the tags
    of competitors named."""

    objections: tuple[ObjectionType, ...] = ()
    competitor_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ranked:
    entry: KbEntry
    score: float  # 0..1
    parts: dict[str, float] = field(default_factory=dict)  # why: relevance, boosts, feedback


class HybridRanker:
    def __init__(
        self,
        entries: Sequence[KbEntry],
        tags: TagVocabulary,
        store: VectorIndex,
        embedder: Embedder,
        config: RankingConfig | None = None,
        feedback: FeedbackSignal | None = None,
    ) -> None:
        self.entries = list(entries)
        self.tags = tags
        self.store = store
        self.embedder = embedder
        self.config = config or RankingConfig()
        self.feedback: FeedbackSignal = feedback or NoFeedback()
        self.bm25 = BM25Index(
            [entry.id for entry in self.entries],
            [searchable_text(entry, tags) for entry in self.entries],
        )
        self._position = self.bm25.position
        self._tag_masks = self._masks_by_tag()
        self._kind_masks = {
            kind: np.array([entry.kind == kind for entry in self.entries], dtype=bool)
            for kind in {entry.kind for entry in self.entries}
        }

    def _masks_by_tag(self) -> dict[str, Mask]:
        masks: dict[str, Mask] = {}
        for row, entry in enumerate(self.entries):
            for tag in entry.tags:
                masks.setdefault(tag, np.zeros(len(self.entries), dtype=bool))[row] = True
        return masks

    # -- filtering ---------------------------------------------------------------------

    def allowed(self, filters: Filters) -> Mask | None:
        """The mask of entries ``filters`` keep; None when it keeps everything."""
        mask = np.ones(len(self.entries), dtype=bool)
        empty = np.zeros(len(self.entries), dtype=bool)
        if filters.kind is not None:
            mask &= np.logical_or.reduce(
                [self._kind_masks.get(kind, empty) for kind in filters.kind] or [empty]
            )
        if filters.objection is not None:
            mask &= self._tag_masks.get(filters.objection, empty)
        for group, wanted in (("industry", filters.industry), ("tier", filters.tier)):
            if wanted is not None:
                known = self.tags.ids(group)
                if known and wanted not in known:
                    # A typo would otherwise quietly return only the general entries.
                    raise RetrievalError(f"unknown {group} {wanted!r}: one of {', '.join(known)}")
                mask &= self._group_mask(group, wanted, empty)
        return None if mask.all() else mask

    def _group_mask(self, group: str, wanted: str, empty: Mask) -> Mask:
        in_group = [self._tag_masks.get(tag, empty) for tag in self.tags.ids(group)]
        tagged_any = np.logical_or.reduce(in_group) if in_group else empty
        keep = self._tag_masks.get(wanted, empty) | ~tagged_any
        if group == "industry":
            keep = keep | self._tag_masks.get("general", empty)
        return keep

    # -- ranking -----------------------------------------------------------------------

    def rank(
        self,
        query: str,
        signals: QuerySignals | None = None,
        *,
        k: int = 3,
        filters: Filters | None = None,
        feedback: FeedbackSignal | None = None,
    ) -> list[Ranked]:
        """The best ``k`` entries; ``feedback`` replaces the ranker's own signal for this
        query (the service keeps one per organisation)."""
        looked_for = signals is not None
        signals = signals or QuerySignals()
        allowed = self.allowed(filters or Filters())
        if not self.entries or (allowed is not None and not allowed.any()):
            return []
        n = self.config.candidates
        lexical = self.bm25.search(query, n, allowed)
        vector = self._vector_candidates(query, n, allowed)
        fused = self._fuse(lexical, vector)
        if not fused:
            return []
        scored = sorted(
            (
                self._score(entry_id, relevance, signals, looked_for, feedback or self.feedback)
                for entry_id, relevance in fused.items()
            ),
            key=lambda ranked: (-ranked.score, ranked.entry.id),
        )
        return self._diversify(scored, k)

    def _vector_candidates(self, query: str, n: int, allowed: Mask | None) -> list[str]:
        vector = self.embedder.embed_one(query)
        if not np.any(vector):
            return []  # nothing embeddable (punctuation only)
        if allowed is None:
            return [entry_id for entry_id, _ in self.store.query(vector, n)]
        share = float(allowed.mean())
        if share < ID_SEARCH_BELOW:
            ids = [self.entries[i].id for i in np.flatnonzero(allowed)]
            return [entry_id for entry_id, _ in self.store.query(vector, n, ids=ids)]
        found = self.store.query(vector, int(n / share * 1.5) + 1)
        return [
            entry_id
            for entry_id, _ in found
            if entry_id in self._position and allowed[self._position[entry_id]]
        ][:n]

    def _fuse(self, lexical: list[tuple[str, float]], vector: list[str]) -> dict[str, float]:
        config = self.config
        fused: dict[str, float] = {}
        for rank, (entry_id, _) in enumerate(lexical, 1):
            fused[entry_id] = fused.get(entry_id, 0.0) + config.bm25_weight / (config.rrf_k + rank)
        for rank, entry_id in enumerate(vector, 1):
            if entry_id in self._position:  # a server may hold entries this KB no longer has
                fused[entry_id] = fused.get(entry_id, 0.0) + config.vector_weight / (
                    config.rrf_k + rank
                )
        best = (config.bm25_weight + config.vector_weight) / (config.rrf_k + 1)
        return {entry_id: value / best for entry_id, value in fused.items()} if best else {}

    def _score(
        self,
        entry_id: str,
        relevance: float,
        signals: QuerySignals,
        looked_for: bool,
        reactions: FeedbackSignal,
    ) -> Ranked:
        config = self.config
        entry = self.entries[self._position[entry_id]]
        objection = 0.0
        for order, objection_type in enumerate(signals.objections):
            if entry.has_tag(objection_type):
                objection = max(objection, 1.0 if order == 0 else 0.5)
        known = [tag for tag in signals.competitor_tags if self.tags.group_of(tag) == "competitor"]
        competitor = 1.0 if any(entry.has_tag(tag) for tag in known) else 0.0
        limit = config.feedback_max
        feedback = min(limit, max(-limit, float(reactions.adjustment(entry_id))))
        raw = (
            relevance
            + config.objection_boost * objection
            + config.competitor_boost * competitor
            + feedback
        )
        ceiling = (
            1.0
            + (config.objection_boost if looked_for else 0.0)
            + (config.competitor_boost if known else 0.0)
        )
        parts = {
            "relevance": relevance,
            "objection": objection,
            "competitor": competitor,
            "feedback": feedback,
        }
        return Ranked(entry, min(1.0, max(0.0, raw / ceiling)), parts)

    def _diversify(self, scored: list[Ranked], k: int) -> list[Ranked]:
        config = self.config
        remaining = list(scored)
        chosen: list[Ranked] = []
        kinds: Counter[str] = Counter()
        while remaining and len(chosen) < k:
            pick = remaining[0]
            if len(chosen) < 3 and kinds[pick.entry.kind] >= config.max_per_kind_top3:
                other = next(
                    (r for r in remaining if kinds[r.entry.kind] < config.max_per_kind_top3),
                    None,
                )
                if other is not None and other.score >= config.diversity_ratio * pick.score:
                    pick = other
            chosen.append(pick)
            remaining.remove(pick)
            kinds[pick.entry.kind] += 1
        return chosen
