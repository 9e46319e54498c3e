"""Bringing the vector store in line with the KB files, idempotently.

Each stored entry carries a hash of its content and of the embedder's fingerprint: entries
whose hash is unchanged are not embedded again, changed ones are re-embedded and upserted,
ids no longer in the files are deleted. A second run over unchanged files embeds nothing,
so the suggester can run it at every start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from retrieval.embedders.base import Embedder
from retrieval.schema import KbEntry, TagVocabulary, searchable_text
from retrieval.store import HASH_KEY, ChromaStore, Metadata, StoredEntry

# progress(done, total): called after each embedded batch.
Progress = Callable[[int, int], None]
BATCH = 256


class IngestReport(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.removed} removed"
        )


@dataclass(frozen=True)
class _Plan:
    to_embed: list[KbEntry]
    added: int
    removed: list[str]


def entry_metadata(entry: KbEntry, content_hash: str) -> Metadata:
    """What Chroma keeps beside the vector: kind, one boolean flag per tag (Chroma metadata
    holds no lists that older servers can filter on), the hash and the date."""
    metadata: dict[str, str | int | float | bool] = {
        "kind": entry.kind,
        "title": entry.title,
        "updated": entry.updated.isoformat(),
        HASH_KEY: content_hash,
    }
    metadata.update({f"tag_{tag}": True for tag in entry.tags})
    return metadata


def ingest(
    entries: Sequence[KbEntry],
    tags: TagVocabulary,
    store: ChromaStore,
    embedder: Embedder,
    progress: Progress | None = None,
) -> IngestReport:
    """Make ``store`` hold exactly ``entries``; returns what changed."""
    hashes = {entry.id: entry.content_hash(embedder.fingerprint) for entry in entries}
    plan = _plan(entries, hashes, store.hashes())
    total = len(plan.to_embed)
    if progress is not None:
        progress(0, total)
    for start in range(0, total, BATCH):
        batch = plan.to_embed[start : start + BATCH]
        documents = [searchable_text(entry, tags) for entry in batch]
        vectors = embedder.embed(documents)
        store.upsert(
            [
                StoredEntry(entry.id, vector, entry_metadata(entry, hashes[entry.id]), document)
                for entry, vector, document in zip(batch, vectors, documents, strict=True)
            ]
        )
        if progress is not None:
            progress(start + len(batch), total)
    if plan.removed:
        store.delete(plan.removed)
    return IngestReport(
        added=plan.added,
        updated=total - plan.added,
        unchanged=len(entries) - total,
        removed=len(plan.removed),
    )


def _plan(entries: Sequence[KbEntry], wanted: dict[str, str], stored: dict[str, str]) -> _Plan:
    to_embed = [entry for entry in entries if stored.get(entry.id) != wanted[entry.id]]
    added = sum(1 for entry in to_embed if entry.id not in stored)
    removed = sorted(set(stored) - set(wanted))
    return _Plan(to_embed, added, removed)
