"""The recogniser interface every speech backend implements, and the backend registry."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
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
