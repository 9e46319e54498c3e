"""The offline default: a deterministic Chinese embedder built from features, not weights.

No Chinese sentence-embedding model ships in any package this project can install, so the
default embeds by feature hashing: jieba words, character bigrams and trigrams, and the
concepts of a sales lexicon (「太贵了」 and 「超预算」 share the concept ``price``), each
weighted by sublinear term frequency. Concepts get dimensions of their own so that two
concepts can never collide in one bucket (with 512 buckets and ~25 concepts a collision
would be likely, and would make 「价格」 look like 「明年再说」); the other features are hashed
with blake2b — stable across processes and machines, unlike Python's salted ``hash``.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from compliance.automaton import WordFinder
from retrieval.config import HashedOptions
from retrieval.embedders.base import Embedder, Vectors, l2_normalize
from retrieval.errors import EmbedderError
from retrieval.text import char_ngrams, normalize, words

BUNDLED_LEXICON = Path(__file__).resolve().parents[1] / "data" / "concepts.yaml"


class ConceptLexicon(BaseModel):
    """``concepts.yaml``: concept id -> terms, and stopwords."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    concepts: dict[str, list[str]]
    stopwords: list[str] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None = None) -> ConceptLexicon:
        path = path or BUNDLED_LEXICON
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            return cls.model_validate(data)
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise EmbedderError(f"{path}: cannot read the concept lexicon: {exc}") from exc

    def digest(self) -> str:
        payload = self.model_dump_json().encode("utf-8")
        return hashlib.blake2b(payload, digest_size=8).hexdigest()


class ConceptMatcher:
    """Finds lexicon terms in normalised text in one pass (Aho-Corasick)."""

    def __init__(self, lexicon: ConceptLexicon) -> None:
        self.concepts = sorted(lexicon.concepts)
        terms: dict[str, list[int]] = {}
        for concept, concept_terms in lexicon.concepts.items():
            slot = self.concepts.index(concept)
            for term in concept_terms:
                terms.setdefault(normalize(str(term)), []).append(slot)
        # One pass over a text finds every term (all occurrences, overlapping).
        found = [term for term in terms if term]
        self._slots = [tuple(sorted(set(terms[term]))) for term in found]
        self._automaton = WordFinder(found)

    def counts(self, normalized: str) -> Counter[int]:
        """How often each concept (by slot) is mentioned."""
        found: Counter[int] = Counter()
        for term, _, _ in self._automaton.find(normalized):
            found.update(self._slots[term])
        return found

    def names(self, normalized: str) -> list[str]:
        """Concepts mentioned, in order of first mention."""
        seen: dict[str, None] = {}
        for term, _, _ in self._automaton.find(normalized):
            for slot in self._slots[term]:
                seen.setdefault(self.concepts[slot], None)
        return list(seen)


@lru_cache(maxsize=200_000)
def _bucket(feature: str, buckets: int) -> tuple[int, float]:
    """Stable bucket and sign of a feature; signed hashing makes collisions cancel out on
    average instead of always adding similarity."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest())
    return digest % buckets, 1.0 if digest >> 63 else -1.0


class HashedEmbedder(Embedder):
    name = "hashed"

    def __init__(self, options: HashedOptions | None = None) -> None:
        self.options = options or HashedOptions()
        self.lexicon = ConceptLexicon.load(self.options.lexicon_path)
        self.matcher = ConceptMatcher(self.lexicon)
        self._stopwords = frozenset(normalize(word) for word in self.lexicon.stopwords)
        self._reserved = len(self.matcher.concepts)
        if self._reserved >= self.options.dim // 2:
            raise EmbedderError(
                f"the lexicon has {self._reserved} concepts: dim {self.options.dim} is too "
                "small, set a larger hashed dim"
            )
        self._hashed = self.options.dim - self._reserved

    @property
    def dim(self) -> int:
        return self.options.dim

    @property
    def fingerprint(self) -> str:
        return f"{self.name}:{self.options.model_dump_json()}:{self.lexicon.digest()}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        matrix = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            self._fill(matrix[row], normalize(text))
        return l2_normalize(matrix)

    def concepts(self, text: str) -> list[str]:
        """The lexicon concepts ``text`` mentions, in order (used when no extractor runs)."""
        return self.matcher.names(normalize(text))

    def _fill(self, row: np.ndarray, normalized: str) -> None:
        options = self.options
        for slot, count in self.matcher.counts(normalized).items():
            row[slot] += options.concept_weight * _sublinear(count)
        families = (
            ("w", options.word_weight, [w for w in words(normalized) if w not in self._stopwords]),
            ("2", options.bigram_weight, char_ngrams(normalized, (2,))),
            ("3", options.trigram_weight, char_ngrams(normalized, (3,))),
        )
        for prefix, weight, features in families:
            if weight == 0.0:
                continue
            for feature, count in Counter(features).items():
                bucket, sign = _bucket(f"{prefix}:{feature}", self._hashed)
                row[self._reserved + bucket] += sign * weight * _sublinear(count)


def _sublinear(count: int) -> float:
    # A word said five times is more on topic than one said once, but not five times more.
    return 1.0 + math.log(count)
