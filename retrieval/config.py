"""Configuration of retrieval: where the KB is, which embedder, which Chroma, how to rank.

The service embeds :class:`RetrievalConfig` in its settings (``COPILOT_RETRIEVAL__…``); a
notebook builds it directly. ``extra="forbid"`` everywhere so that a misspelt option fails
at start-up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from knowledge_base import CONTENT_DIR
from retrieval.schema import Kind

EmbedderBackend = Literal["hashed", "sentence_transformers", "openai"]
LIVE_KINDS: tuple[Kind, ...] = ("script", "case", "battlecard")


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


def default_chroma_path() -> Path:
    """``$XDG_DATA_HOME/sales-copilot/chroma`` (``~/.local/share/…`` when unset): the index is
    data the copilot rebuilds from the KB files, not configuration, and not a cache to wipe."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "sales-copilot" / "chroma"


class HashedOptions(_Options):
    dim: int = Field(default=512, ge=64, le=8192)
    # None: the bundled retrieval/data/concepts.yaml.
    lexicon_path: Path | None = None
    # Feature weights: concepts carry meaning across wording, so they count most; trigrams
    # are rarer and more specific than bigrams.
    word_weight: float = Field(default=1.0, ge=0.0)
    bigram_weight: float = Field(default=0.5, ge=0.0)
    trigram_weight: float = Field(default=0.35, ge=0.0)
    concept_weight: float = Field(default=3.0, ge=0.0)


class SentenceTransformerOptions(_Options):
    # A local directory, or a model name already in the local Hugging Face cache
    # (e.g. BAAI/bge-small-zh-v1.5). Nothing is ever downloaded.
    model: str | None = None
    device: str = "cpu"
    batch_size: int = Field(default=32, ge=1, le=1024)


class OpenAIEmbeddingOptions(_Options):
    """An OpenAI-compatible ``/v1/embeddings`` endpoint (vLLM, Ollama, a cloud API…)."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "text-embedding-3-small"
    api_key: SecretStr | None = None
    # A suggestion that arrives after the customer moved on is useless: fail fast.
    timeout_s: float = Field(default=10.0, gt=0.0, le=300.0)
    # Asked of the server when set (models that support shortening); else learnt from a reply.
    dimensions: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=64, ge=1, le=2048)


class EmbedderConfig(_Options):
    backend: EmbedderBackend = "hashed"
    hashed: HashedOptions = Field(default_factory=HashedOptions)
    sentence_transformers: SentenceTransformerOptions = Field(
        default_factory=SentenceTransformerOptions
    )
    openai: OpenAIEmbeddingOptions = Field(default_factory=OpenAIEmbeddingOptions)


class ChromaConfig(_Options):
    mode: Literal["persistent", "http"] = "persistent"
    path: Path = Field(default_factory=default_chroma_path)  # persistent mode
    host: str = "localhost"  # http mode
    port: int = Field(default=8000, ge=1, le=65535)
    ssl: bool = False
    headers: dict[str, str] = Field(default_factory=dict)  # e.g. an auth token
    # Connect and read timeout of every request to a Chroma server: an unreachable or stuck
    # server must surface as an error, never hang a live call.
    timeout_s: float = Field(default=5.0, gt=0.0, le=120.0)
    # Collections are named <prefix>-<embedder>-<dim>; a prefix separates tenants or KBs
    # sharing one server.
    collection_prefix: str = Field(default="kb", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,20}$")


class RankingConfig(_Options):
    # Candidates taken from each of BM25 and the vector search before fusion and filtering.
    candidates: int = Field(default=40, ge=1, le=1000)
    # Reciprocal-rank-fusion constant. Cormack et al. use 60 for 1000-deep lists; over a few
    # dozen candidates a smaller constant keeps the gap between rank 1 and rank 5 visible, so
    # the boosts and feedback below move entries by a few places, not a dozen.
    rrf_k: int = Field(default=20, ge=1)
    bm25_weight: float = Field(default=1.0, ge=0.0)
    vector_weight: float = Field(default=1.0, ge=0.0)
    # Added to the 0..1 fused relevance: an entry tagged with the objection the customer
    # raised, or with the competitor they named, is what the rep needs now.
    objection_boost: float = Field(default=0.5, ge=0.0, le=1.0)
    competitor_boost: float = Field(default=0.3, ge=0.0, le=1.0)
    # Bound of the rep-feedback adjustment (used / dismissed counts), either way.
    feedback_max: float = Field(default=0.1, ge=0.0, le=0.5)
    # Diversity: at most this many entries of one kind in the top 3, as long as an entry of
    # another kind scores at least diversity_ratio of the one it would replace.
    max_per_kind_top3: int = Field(default=2, ge=1, le=3)
    diversity_ratio: float = Field(default=0.6, ge=0.0, le=1.0)
    # Kinds offered as live suggestions (CONTRACT: script | case | battlecard); `kb search`
    # looks at every kind.
    suggest_kinds: list[Kind] = Field(default_factory=lambda: list(LIVE_KINDS))


class RetrievalConfig(_Options):
    kb_dir: Path = CONTENT_DIR
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    chroma: ChromaConfig = Field(default_factory=ChromaConfig)
    ranking: RankingConfig = Field(default_factory=RankingConfig)
    k: int = Field(default=3, ge=1, le=50)
    # Longer queries (a pasted transcript) are cut to their last query_window_chars: the
    # newest words matter (an utterance is rarely over 200 characters), and a query must
    # stay within the live latency budget.
    query_window_chars: int = Field(default=500, ge=20, le=100_000)
