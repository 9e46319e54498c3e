"""Embedders, looked up by the settings value in :data:`BACKENDS`.

from retrieval.embedders import build_embedder
build_embedder(EmbedderConfig()).embed(["太贵了"])
"""

from __future__ import annotations

from collections.abc import Callable

from retrieval.config import EmbedderBackend, EmbedderConfig
from retrieval.embedders.base import Embedder, Vectors, l2_normalize
from retrieval.embedders.hashed import HashedEmbedder


def _sentence_transformers(config: EmbedderConfig) -> Embedder:
    # Imported here: the module is cheap, but keeping torch-related code off the import path
    # of the default backend keeps `import retrieval` light.
    from retrieval.embedders.sentence_transformer import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(config.sentence_transformers)


def _openai(config: EmbedderConfig) -> Embedder:
    from retrieval.embedders.openai_compat import OpenAIEmbedder

    return OpenAIEmbedder(config.openai)


BACKENDS: dict[EmbedderBackend, Callable[[EmbedderConfig], Embedder]] = {
    "hashed": lambda config: HashedEmbedder(config.hashed),
    "sentence_transformers": _sentence_transformers,
    "openai": _openai,
}


def build_embedder(config: EmbedderConfig | None = None) -> Embedder:
    config = config or EmbedderConfig()
    return BACKENDS[config.backend](config)


__all__ = ["BACKENDS", "Embedder", "HashedEmbedder", "Vectors", "build_embedder", "l2_normalize"]
