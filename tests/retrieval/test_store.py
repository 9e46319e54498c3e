"""The Chroma store and idempotent ingestion, on local files and on a real Chroma server."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import CONTENT_DIR
from retrieval import RetrievalConfig, StoreError, Suggester, load_kb
from retrieval.config import ChromaConfig
from retrieval.embedders import HashedEmbedder
from retrieval.ingest import IngestReport, ingest
from retrieval.store import ChromaStore, collection_name
from tests.retrieval.conftest import free_port


@pytest.fixture(scope="module")
def embedder() -> HashedEmbedder:
    return HashedEmbedder()


def open_store(config: ChromaConfig, embedder: HashedEmbedder) -> ChromaStore:
    return ChromaStore(config, embedder_name=embedder.name, dim=embedder.dim)


def copy_kb(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(CONTENT_DIR, tmp_path / "kb", ignore=shutil.ignore_patterns("*.py"))
    )


def test_ingest_is_idempotent(tmp_path: Path, embedder: HashedEmbedder) -> None:
    kb_dir = copy_kb(tmp_path)
    store = open_store(ChromaConfig(path=tmp_path / "chroma"), embedder)
    kb = load_kb(kb_dir)
    total = len(kb.entries)
    calls: list[tuple[int, int]] = []
    first = ingest(kb.entries, kb.tags, store, embedder, progress=lambda d, t: calls.append((d, t)))
    assert first == IngestReport(added=total)
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert store.count() == total

    # a second run over the same files embeds nothing
    assert ingest(kb.entries, kb.tags, store, embedder) == IngestReport(unchanged=total)

    # edit one entry's text: exactly one update
    price = kb_dir / "scripts" / "price.yaml"
    price.write_text(
        price.read_text(encoding="utf-8").replace(
            "先认同对方对投入的谨慎", "先认同客户对投入的谨慎", 1
        ),
        encoding="utf-8",
    )
    kb = load_kb(kb_dir)
    assert ingest(kb.entries, kb.tags, store, embedder) == IngestReport(
        updated=1, unchanged=total - 1
    )

    # delete one entry from the files: exactly one removal, and it is gone from Chroma
    questions = kb_dir / "questions.yaml"
    text = questions.read_text(encoding="utf-8")
    start = text.index("- id: kb-q-budget-01")
    end = text.index("- id:", start + 1)
    questions.write_text(text[:start] + text[end:], encoding="utf-8")
    kb = load_kb(kb_dir)
    assert ingest(kb.entries, kb.tags, store, embedder) == IngestReport(
        removed=1, unchanged=total - 1
    )
    assert "kb-q-budget-01" not in store.hashes() and store.count() == total - 1


def test_metadata_flags_tags_and_hash(tmp_path: Path, embedder: HashedEmbedder) -> None:
    store = open_store(ChromaConfig(path=tmp_path / "chroma"), embedder)
    kb = load_kb(CONTENT_DIR)
    ingest(kb.entries, kb.tags, store, embedder)
    got = store._collection.get(ids=["kb-battle-fxiaoke"], include=["metadatas"])
    metadata = got["metadatas"][0]
    assert metadata["kind"] == "battlecard" and metadata["tag_fxiaoke"] is True
    assert metadata["tag_competitor"] is True and "tag_price" not in metadata
    assert metadata["updated"] == "2026-01-15" and len(str(metadata["content_hash"])) == 32


def test_collections_are_per_embedder(tmp_path: Path, embedder: HashedEmbedder) -> None:
    assert collection_name("kb", "hashed", 512) == "kb-hashed-512"
    long = collection_name("kb", "st-" + "x" * 80, 384)
    assert len(long) <= 63 and long.startswith("kb-st-xxx")
    config = ChromaConfig(path=tmp_path / "chroma")
    small = HashedEmbedder(embedder.options.model_copy(update={"dim": 128}))
    a, b = open_store(config, embedder), open_store(config, small)
    assert a.name != b.name
    kb = load_kb(CONTENT_DIR)
    ingest(kb.entries[:5], kb.tags, b, small)
    assert b.count() == 5 and a.count() == 0


def test_changed_embedder_reembeds_everything(tmp_path: Path, embedder: HashedEmbedder) -> None:
    """Same name and size but another lexicon weight: vectors differ, so all are redone."""
    store = open_store(ChromaConfig(path=tmp_path / "chroma"), embedder)
    kb = load_kb(CONTENT_DIR)
    ingest(kb.entries, kb.tags, store, embedder)
    heavier = HashedEmbedder(embedder.options.model_copy(update={"concept_weight": 5.0}))
    report = ingest(kb.entries, kb.tags, store, heavier)
    assert report.updated == len(kb.entries) and report.unchanged == 0


def test_query_by_ids_limits_the_search(tmp_path: Path, embedder: HashedEmbedder) -> None:
    store = open_store(ChromaConfig(path=tmp_path / "chroma"), embedder)
    kb = load_kb(CONTENT_DIR)
    ingest(kb.entries, kb.tags, store, embedder)
    vector = embedder.embed_one("纷享销客更便宜")
    top = store.query(vector, 3)
    assert len(top) == 3 and all(-1.0 <= score <= 1.0 for _, score in top)
    assert top[0][1] >= top[1][1] >= top[2][1]
    only = store.query(vector, 5, ids=["kb-case-01", "kb-case-02"])
    assert {entry_id for entry_id, _ in only} == {"kb-case-01", "kb-case-02"}
    assert store.query(vector, 5, ids=[]) == []
    assert store.query(np.zeros(embedder.dim, dtype=np.float32) + 1 / np.sqrt(embedder.dim), 1)


# -- server mode ---------------------------------------------------------------------


def test_server_mode_ingest_and_suggest(chroma_server: ChromaConfig, tmp_path: Path) -> None:
    config = RetrievalConfig(chroma=chroma_server.model_copy(update={"collection_prefix": "srv"}))
    suggester = Suggester(config)
    suggester.ensure_ready()
    total = len(suggester.kb.entries)
    assert suggester.last_ingest == IngestReport(added=total)
    result = suggester.suggest("纷享销客比你们便宜一半")
    assert result.objection == "competitor"
    assert "kb-battle-fxiaoke" in [s.id for s in result.suggestions]
    # a second process (here: a second suggester) finds the index already in place
    again = Suggester(config)
    again.ensure_ready()
    assert again.last_ingest == IngestReport(unchanged=total)
    assert "127.0.0.1" in again.ensure_ready().store.where
    suggester.close()
    again.close()


def test_unreachable_server_fails_fast() -> None:
    config = ChromaConfig(mode="http", host="127.0.0.1", port=free_port(), timeout_s=2)
    started = time.monotonic()
    with pytest.raises(StoreError, match="did not answer its heartbeat"):
        ChromaStore(config, embedder_name="hashed", dim=512)
    assert time.monotonic() - started < 5


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: the worst kind of broken server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_server_that_never_answers_times_out(silent_server: int) -> None:
    config = ChromaConfig(mode="http", host="127.0.0.1", port=silent_server, timeout_s=1)
    started = time.monotonic()
    with pytest.raises(StoreError, match="within 1 s"):
        ChromaStore(config, embedder_name="hashed", dim=512)
    assert time.monotonic() - started < 4


def test_server_requests_have_a_bounded_timeout(chroma_server: ChromaConfig) -> None:
    store = ChromaStore(chroma_server, embedder_name="hashed", dim=64)
    session = store._client._server._session
    assert session.timeout.read == chroma_server.timeout_s
    store.close()
