"""An OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, vLLM, Ollama, a cloud API).

Plain httpx with a bounded timeout: an endpoint that stalls becomes an
:class:`EmbedderError` after ``timeout_s``, never a hung live call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import httpx
import numpy as np
from pydantic import BaseModel, ValidationError

from retrieval.config import OpenAIEmbeddingOptions
from retrieval.embedders.base import Embedder, Vectors, l2_normalize
from retrieval.errors import EmbedderError


class _Item(BaseModel):
    index: int
    embedding: list[float]


class _Reply(BaseModel):
    data: list[_Item]


class OpenAIEmbedder(Embedder):
    def __init__(self, options: OpenAIEmbeddingOptions) -> None:
        self.options = options
        self.name = "openai-" + (re.sub(r"[^a-z0-9]+", "-", options.model.lower()).strip("-"))
        self.url = options.base_url.rstrip("/") + "/embeddings"
        headers = {"Content-Type": "application/json"}
        if options.api_key is not None:
            headers["Authorization"] = f"Bearer {options.api_key.get_secret_value()}"
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(options.timeout_s))
        self._dim = options.dimensions

    @property
    def dim(self) -> int:
        if self._dim is None:
            # Learn the size from one reply (the collection name needs it before ingest).
            self._dim = int(self._request(["维度探测"]).shape[1])
        return self._dim

    @property
    def fingerprint(self) -> str:
        return f"{self.name}:{self.url}:{self.options.dimensions}"

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        size = self.options.batch_size
        parts = [self._request(list(texts[i : i + size])) for i in range(0, len(texts), size)]
        vectors = np.concatenate(parts)
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise EmbedderError(
                f"{self.url} returned {vectors.shape[1]}-dimensional vectors, expected {self._dim}"
            )
        return vectors

    def _request(self, texts: list[str]) -> Vectors:
        body: dict[str, object] = {"model": self.options.model, "input": texts}
        if self.options.dimensions is not None:
            body["dimensions"] = self.options.dimensions
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise EmbedderError(
                f"{self.url}: no answer within {self.options.timeout_s:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise EmbedderError(
                f"{self.url}: cannot reach the embeddings endpoint ({exc})"
            ) from exc
        if response.status_code != 200:
            raise EmbedderError(f"{self.url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            reply = _Reply.model_validate_json(response.content)
        except ValidationError as exc:
            raise EmbedderError(
                f"{self.url}: not an embeddings reply ({exc.error_count()} errors)"
            ) from exc
        items = sorted(reply.data, key=lambda item: item.index)
        if len(items) != len(texts) or len({len(item.embedding) for item in items}) != 1:
            raise EmbedderError(
                f"{self.url}: expected {len(texts)} vectors of one size, got {len(items)}"
            )
        return l2_normalize(np.array([item.embedding for item in items], dtype=np.float32))

    def close(self) -> None:
        self._client.close()
