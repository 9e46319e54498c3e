"""Optional backend: OpenAI's reference Whisper with a user-supplied checkpoint.

Install with ``pip install -e '.[openai-whisper]'`` and set ``COPILOT_SPEECH__MODEL__MODEL``
to the path of a ``.pt`` checkpoint. Nothing is downloaded: a size name is refused.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import whisper

from speech.audio import SAMPLE_RATE
from speech.config import ModelConfig
from speech.errors import ModelUnavailableError
from speech.transcriber import MAX_UTTERANCE_S, Recognition, RecognitionRequest, Transcriber


class OpenAIWhisperTranscriber(Transcriber):
    name = "openai-whisper"

    def __init__(self, cfg: ModelConfig) -> None:
        checkpoint = Path(cfg.model).expanduser()
        if not checkpoint.is_file():
            raise ModelUnavailableError(
                f"openai-whisper needs the path of a .pt checkpoint, got {cfg.model!r}"
            )
        self._model = whisper.load_model(str(checkpoint), device=cfg.device)
        if not self._model.is_multilingual:
            raise ModelUnavailableError(
                f"{checkpoint} is English-only; Mandarin needs multilingual"
            )
        # PyTorch modules are not safe to run from several threads at once.
        self._lock = threading.Lock()

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        clip = audio[: int(MAX_UTTERANCE_S * SAMPLE_RATE)].astype(np.float32, copy=False)
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(clip), self._model.dims.n_mels)
        options = whisper.DecodingOptions(
            language=request.language,
            prompt=request.prompt or None,
            temperature=request.temperature,
            beam_size=None if request.temperature or request.beam_size == 1 else request.beam_size,
            without_timestamps=True,
            fp16=False,
        )
        with self._lock:
            result = whisper.decode(self._model, mel.to(self._model.device), options)
        return Recognition(
            text=result.text.strip(),
            avg_logprob=float(result.avg_logprob),
            no_speech_prob=float(result.no_speech_prob),
        )
