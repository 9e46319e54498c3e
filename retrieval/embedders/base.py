"""The one interface every embedder implements."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(abc.ABC):
    """Turns texts into L2-normalised float32 vectors, one row per text.

    ``name`` and ``dim`` name the vector space: vectors of different embedders never share a
    Chroma collection. ``fingerprint`` changes whenever the same name would embed the same
    text differently (another lexicon, another model file), so that ingestion re-embeds."""

    name: str

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Length of every vector."""

    @property
    def fingerprint(self) -> str:
        return self.name

    @abc.abstractmethod
    def embed(self, texts: Sequence[str]) -> Vectors:
        """An array of shape ``(len(texts), dim)``, each row of unit length."""

    def embed_one(self, text: str) -> Vectors:
        return self.embed([text])[0]


def l2_normalize(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length; an all-zero row stays zero rather than becoming NaN."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
