"""The recogniser interface every speech backend implements, and the backend registry."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from speech.config import ModelConfig
from speech.errors import BackendMissingError, ModelUnavailableError

# Whisper sees at most 30 s at once; the endpointer keeps utterances well below that.
MAX_UTTERANCE_S = 30.0


@dataclass(frozen=True)
class RecognitionRequest:
    language: str
    prompt: str
    beam_size: int
    window_padding_s: float
    # 0: beam search (or greedy); above 0: one sample at this temperature.
    temperature: float = 0.0
    # A final (committed text) rather than a partial: decoded first when requests wait.
    final: bool = False


@dataclass(frozen=True)
class Recognition:
    text: str
    avg_logprob: float
    no_speech_prob: float


class Transcriber(ABC):
    """Recognises one utterance: float32 mono samples at 16 kHz, at most 30 s long.

    Implementations must be safe to call from several threads; one instance (one copy of
    the weights) serves every call and channel of the process.
    """

    name: str

    @abstractmethod
    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        """Return the raw text the model heard, with its confidence figures."""

    def submit(self, audio: np.ndarray, request: RecognitionRequest) -> Future[Recognition]:
        """Recognise without waiting for the answer where the backend queues requests
        (speech/batching.py); here, at once. A caller may ``cancel()`` what it no longer
        needs."""
        future: Future[Recognition] = Future()
        try:
            future.set_result(self.recognize(audio, request))
        except Exception as exc:  # handed to whoever reads the future, as a queue would
            future.set_exception(exc)
        return future

    def batch_key(self, request: RecognitionRequest) -> Hashable:
        """Requests with equal keys may be recognised together by :meth:`recognize_batch`."""
        return (request.language, request.beam_size, request.temperature)

    def recognize_batch(
        self, audios: Sequence[np.ndarray], requests: Sequence[RecognitionRequest]
    ) -> list[Recognition]:
        """Several utterances of equal :meth:`batch_key` at once (speech/batching.py). This
        default decodes them one by one; a backend that batches overrides it."""
        return [self.recognize(a, r) for a, r in zip(audios, requests, strict=True)]


# Backends by settings value -> "module:factory"; imported only when chosen, so an optional
# backend's heavy dependencies are needed only by those who select it.
BACKENDS: dict[str, str] = {
    "faster-whisper": "speech.backends.faster_whisper:FasterWhisperTranscriber",
    "openai-whisper": "speech.backends.openai_whisper:OpenAIWhisperTranscriber",
}


def load_transcriber(cfg: ModelConfig) -> Transcriber:
    """Build the backend named in ``cfg.backend``."""
    target = BACKENDS.get(cfg.backend)
    if target is None:
        raise ModelUnavailableError(
            f"unknown speech backend {cfg.backend!r}; choose one of {', '.join(sorted(BACKENDS))}"
        )
    module_name, factory_name = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise BackendMissingError(
            f"speech backend {cfg.backend!r} needs the package {exc.name!r} — run "
            f"`pip install -e '.[{cfg.backend}]'`"
        ) from exc
    factory: Callable[[ModelConfig], Transcriber] = getattr(module, factory_name)
    return factory(cfg)
