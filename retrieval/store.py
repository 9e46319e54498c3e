"""The vector side of retrieval: a Chroma collection, local (persistent) or on a server.

Vectors always come from our :class:`~retrieval.embedders.Embedder`: collections are made
with ``embedding_function=None`` (Chroma's default function downloads a model). One
collection per embedder and size — ``<prefix>-<embedder>-<dim>`` — so vectors of different
spaces never mix. Telemetry is off.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np

from retrieval.config import ChromaConfig
from retrieval.embedders.base import Vectors
from retrieval.errors import RetrievalError, StoreError

logger = logging.getLogger(__name__)

Metadata = Mapping[str, str | int | float | bool]
HASH_KEY = "content_hash"
MAX_NAME = 63  # Chroma's limit on collection names


@dataclass(frozen=True)
class StoredEntry:
    id: str
    vector: Vectors
    metadata: Metadata
    document: str


class VectorIndex(Protocol):
    """What ranking needs of a vector store: :class:`ChromaStore`, or an overlay of extra
    entries on one (:class:`retrieval.overlay.OverlayStore`)."""

    @property
    def where(self) -> str: ...

    def query(
        self, vector: Vectors, n: int, ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]: ...

    def close(self) -> None: ...


def collection_name(prefix: str, embedder_name: str, dim: int) -> str:
    name = f"{prefix}-{embedder_name}-{dim}"
    if len(name) <= MAX_NAME:
        return name
    # Long model names: keep a readable start and a digest of the whole name.
    digest = hashlib.blake2b(name.encode(), digest_size=4).hexdigest()
    return f"{name[: MAX_NAME - len(digest) - 1].rstrip('-_.')}-{digest}"


class ChromaStore:
    """A Chroma collection holding one embedder's vectors of the KB entries."""

    def __init__(self, config: ChromaConfig, *, embedder_name: str, dim: int) -> None:
        self.config = config
        self.name = collection_name(config.collection_prefix, embedder_name, dim)
        self.dim = dim
        self._client = _connect(config)
        with self._errors("open collection"):
            self._collection = self._client.get_or_create_collection(
                self.name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder_name, "dim": dim},
            )
            self._max_batch = int(self._client.get_max_batch_size())

    @property
    def where(self) -> str:
        if self.config.mode == "http":
            scheme = "https" if self.config.ssl else "http"
            return f"{scheme}://{self.config.host}:{self.config.port} ({self.name})"
        return f"{self.config.path} ({self.name})"

    def hashes(self) -> dict[str, str]:
        """id -> content hash of every stored entry."""
        found: dict[str, str] = {}
        with self._errors("read"):
            offset = 0
            while True:
                page = self._collection.get(
                    include=["metadatas"], limit=self._max_batch, offset=offset
                )
                for entry_id, metadata in zip(page["ids"], page["metadatas"] or [], strict=False):
                    found[entry_id] = str((metadata or {}).get(HASH_KEY, ""))
                if len(page["ids"]) < self._max_batch:
                    return found
                offset += self._max_batch

    def upsert(self, entries: Sequence[StoredEntry]) -> None:
        with self._errors("write"):
            for start in range(0, len(entries), self._max_batch):
                batch = entries[start : start + self._max_batch]
                self._collection.upsert(
                    ids=[entry.id for entry in batch],
                    embeddings=np.stack([entry.vector for entry in batch]),
                    metadatas=[dict(entry.metadata) for entry in batch],
                    documents=[entry.document for entry in batch],
                )

    def delete(self, ids: Sequence[str]) -> None:
        with self._errors("delete"):
            for start in range(0, len(ids), self._max_batch):
                self._collection.delete(ids=list(ids[start : start + self._max_batch]))

    def count(self) -> int:
        with self._errors("count"):
            return int(self._collection.count())

    def query(
        self, vector: Vectors, n: int, ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``n`` nearest entries as (id, cosine similarity), best first; ``ids`` limits
        the search to those entries, which must all be stored (cheaper in Chroma than a
        metadata ``where``, which has no index in local mode)."""
        if ids is not None and not ids:
            return []
        with self._errors("query"):
            result = self._collection.query(
                query_embeddings=vector.reshape(1, -1),
                n_results=n if ids is None else min(n, len(ids)),
                ids=list(ids) if ids is not None else None,
                include=["distances"],
            )
        found = result["ids"][0]
        distances = (result["distances"] or [[]])[0]
        return [(entry_id, 1.0 - float(d)) for entry_id, d in zip(found, distances, strict=True)]

    def close(self) -> None:
        """Release this store's hold on the Chroma client (Chroma shares one per path or
        server and stops it when the last holder closes)."""
        session = _session(self._client)
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
        # Stopping the shared client leaves its httpx session open (chromadb 1.5); close it
        # once no other holder is left, or its sockets linger until garbage collection.
        from chromadb.api.shared_system_client import SharedSystemClient

        identifier = getattr(self._client, "_identifier", None)
        if session is not None and identifier not in SharedSystemClient._identifier_to_system:
            session.close()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        # Chroma raises its own errors, httpx's, sqlite's and ValueErrors depending on the
        # mode: the library's users get one type that says where and what failed.
        try:
            yield
        except RetrievalError:
            raise
        except Exception as exc:
            raise StoreError(f"Chroma {action} failed at {self.where}: {exc}") from exc


def _settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def _private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents 0700: the index holds the knowledge base and
    sits in the copilot's data home, which must not become world-readable because the
    index was built first. (The copilot's twin is ``copilot.store.db.private_dir``; a
    library cannot import it.)"""
    missing: list[Path] = []
    probe = path.expanduser()
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)


def _connect(config: ChromaConfig) -> Any:
    import chromadb

    if config.mode == "persistent":
        try:
            _private_dir(config.path)
            return chromadb.PersistentClient(path=str(config.path), settings=_settings())
        except Exception as exc:
            raise StoreError(f"cannot open the Chroma index at {config.path}: {exc}") from exc
    _preflight(config)
    try:
        client = chromadb.HttpClient(
            host=config.host,
            port=config.port,
            ssl=config.ssl,
            headers=config.headers or None,
            settings=_settings(),
        )
    except Exception as exc:
        raise StoreError(f"cannot connect to Chroma at {config.host}:{config.port}: {exc}") from exc
    _bound_timeouts(client, config.timeout_s)
    return client


def _preflight(config: ChromaConfig) -> None:
    """Ask the server's heartbeat with a bounded timeout before building Chroma's client:
    the client makes requests while it is built, with no timeout at all."""
    scheme = "https" if config.ssl else "http"
    url = f"{scheme}://{config.host}:{config.port}/api/v2/heartbeat"
    try:
        response = httpx.get(url, headers=config.headers, timeout=config.timeout_s)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise StoreError(
            f"Chroma server {config.host}:{config.port} did not answer its heartbeat within "
            f"{config.timeout_s:g} s ({type(exc).__name__}: {exc}); start it (`chroma run "
            "--path DIR --port N`) or use COPILOT_RETRIEVAL__CHROMA__MODE=persistent"
        ) from exc


def _session(client: Any) -> httpx.Client | None:
    """The httpx session of an HTTP Chroma client (None for a local one)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None


def _bound_timeouts(client: Any, timeout_s: float) -> None:
    # chromadb 1.x builds its httpx session with timeout=None and offers no setting for it,
    # so a server that stops answering would hang the query forever. Bound the session's
    # timeout; if a future chromadb moves it, log instead of failing (the pre-flight check
    # still catches a dead server).
    session = _session(client)
    if session is not None:
        session.timeout = httpx.Timeout(timeout_s)
    else:
        logger.warning("could not bound the Chroma client's request timeout")
