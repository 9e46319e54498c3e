"""Extra entries layered over a shared index: an organisation's own content on top of the
shipped knowledge base.

The shared Chroma collection holds the shipped entries only, so an organisation without
content of its own ranks exactly as before and the start-up ingest never touches another
tenant's entries. The extra entries (tens to hundreds per organisation) are embedded once
and searched in memory by brute force, which costs microseconds at that size. An extra entry
with the id of a stored one replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.embedders.base import Embedder, Vectors, l2_normalize
from retrieval.schema import KbEntry, TagVocabulary, searchable_text
from retrieval.store import VectorIndex


def merge_tags(base: TagVocabulary, extra: Mapping[str, Mapping[str, str]]) -> TagVocabulary:
    """``base`` with ``extra`` tags added to their groups (a tag already known keeps its
    group and label)."""
    groups = {group: dict(tags) for group, tags in base.groups.items()}
    for group, tags in extra.items():
        for tag, label in tags.items():
            if tag not in base:
                groups.setdefault(group, {})[tag] = label
    return TagVocabulary(groups=groups)


def embed_entries(
    entries: Sequence[KbEntry],
    tags: TagVocabulary,
    embedder: Embedder,
    known: dict[str, Vectors] | None = None,
) -> list[Vectors]:
    """One vector per entry; ``known`` (content hash -> vector) saves embedding entries
    that did not change since the last build and receives the new ones."""
    cache = known if known is not None else {}
    hashes = [entry.content_hash(embedder.fingerprint) for entry in entries]
    missing = [i for i, digest in enumerate(hashes) if digest not in cache]
    if missing:
        vectors = embedder.embed([searchable_text(entries[i], tags) for i in missing])
        for i, vector in zip(missing, vectors, strict=True):
            cache[hashes[i]] = vector
    return [cache[digest] for digest in hashes]


class OverlayStore:
    """Vector search over a shared index plus extra entries held in memory."""

    def __init__(self, base: VectorIndex, ids: Sequence[str], vectors: Sequence[Vectors]) -> None:
        self.base = base
        self._ids = list(ids)
        self._row = {entry_id: row for row, entry_id in enumerate(self._ids)}
        self._matrix: Vectors = (
            l2_normalize(np.stack(vectors)) if len(vectors) else np.zeros((0, 1), np.float32)
        )

    @property
    def where(self) -> str:
        return f"{self.base.where} + {len(self._ids)} entries in memory"

    def query(
        self, vector: Vectors, n: int, ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        if ids is None:
            rows = list(range(len(self._ids)))
            # Fetch a few more from the shared index: replaced entries are dropped from it.
            found = self._from_base(vector, n + len(self._ids), None)
        else:
            rows = [self._row[i] for i in ids if i in self._row]
            shared = [i for i in ids if i not in self._row]
            found = self._from_base(vector, min(n, len(shared)), shared) if shared else []
        if rows:
            similarities = self._matrix[rows] @ l2_normalize(vector.reshape(1, -1))[0]
            found += [(self._ids[row], float(s)) for row, s in zip(rows, similarities, strict=True)]
        found.sort(key=lambda hit: -hit[1])
        return found[:n]

    def _from_base(
        self, vector: Vectors, n: int, ids: Sequence[str] | None
    ) -> list[tuple[str, float]]:
        if n <= 0:
            return []
        return [hit for hit in self.base.query(vector, n, ids) if hit[0] not in self._row]

    def close(self) -> None:
        """Nothing to release: the shared index belongs to the suggester it came from."""
