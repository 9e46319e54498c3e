"""Okapi BM25 over jieba words and character bigrams, in memory, with an inverted index.

Each term's postings hold the documents it occurs in and its precomputed BM25 weight in each,
so a query touches only the postings of its own terms (``np.bincount`` adds them up) rather
than looping over every document: 10,000 entries answer in well under a millisecond for a
spoken utterance.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from retrieval.text import char_ngrams, normalize, words

# Long queries (a pasted paragraph) keep only their most selective terms: the rare words
# decide the ranking, and the common ones would cost time for nothing.
MAX_QUERY_TERMS = 48


def analyze(text: str) -> list[str]:
    """Index terms of a text: jieba words and character bigrams (prefixed apart, so the word
    「价格」 and the bigram 「价格」 are separate evidence and count twice when both match)."""
    normalized = normalize(text)
    return [f"w:{w}" for w in words(normalized)] + [f"2:{g}" for g in char_ngrams(normalized, (2,))]


class BM25Index:
    def __init__(self, ids: Sequence[str], texts: Sequence[str], k1: float = 1.2, b: float = 0.75):
        if len(ids) != len(texts):
            raise ValueError("ids and texts differ in length")
        self.ids = list(ids)
        self.position = {entry_id: i for i, entry_id in enumerate(self.ids)}
        analyzed = [Counter(analyze(text)) for text in texts]
        lengths = np.array([sum(terms.values()) for terms in analyzed], dtype=np.float32)
        average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for doc, terms in enumerate(analyzed):
            norm = k1 * (1 - b + b * float(lengths[doc]) / average)
            for term, tf in terms.items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(doc)
                tfs.append(tf * (k1 + 1) / (tf + norm))
        total = len(self.ids)
        self._postings: dict[str, tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]] = {}
        self.idf: dict[str, float] = {}
        for term, (docs, tfs) in postings.items():
            # Lucene's idf: never negative, so a term in most documents still counts a little.
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            self.idf[term] = idf
            self._postings[term] = (
                np.array(docs, dtype=np.int32),
                np.array(tfs, dtype=np.float32) * np.float32(idf),
            )

    def __len__(self) -> int:
        return len(self.ids)

    def query_terms(self, query: str) -> dict[str, float]:
        """The indexed terms of ``query`` with their query weight: ``1 + log(count)``, so a
        word repeated in a long transcript does not drown the rest; at most
        MAX_QUERY_TERMS of them, the rarest first."""
        counts = Counter(term for term in analyze(query) if term in self._postings)
        terms = sorted(counts, key=lambda term: (-self.idf[term], term))[:MAX_QUERY_TERMS]
        return {term: 1.0 + math.log(counts[term]) for term in terms}

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        """BM25 score of every document for ``query`` (zero where no term matches)."""
        terms = self.query_terms(query)
        if not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        docs = np.concatenate([self._postings[term][0] for term in terms])
        weights = np.concatenate(
            [self._postings[term][1] * np.float32(weight) for term, weight in terms.items()]
        )
        return np.bincount(docs, weights=weights, minlength=len(self.ids)).astype(np.float32)

    def search(
        self, query: str, n: int, allowed: npt.NDArray[np.bool_] | None = None
    ) -> list[tuple[str, float]]:
        """The ``n`` best (id, score) with a positive score, best first; ``allowed`` masks out
        documents that a filter excludes."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, np.float32(0))
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > n:
            candidates = candidates[np.argpartition(-scores[candidates], n - 1)[:n]]
        order = candidates[np.argsort(-scores[candidates], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in order]
