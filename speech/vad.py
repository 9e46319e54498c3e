"""Streaming voice-activity detection with the Silero model that faster-whisper ships."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from speech.errors import ModelUnavailableError

WINDOW = 512  # samples at 16 kHz: 32 ms, the window Silero v5+ expects
_CONTEXT = 64  # samples of the previous window the model sees in front of each window


@lru_cache(maxsize=1)
def _session() -> object:
    try:
        import onnxruntime
        from faster_whisper.utils import get_assets_path
    except ModuleNotFoundError as exc:  # pragma: no cover - both are core dependencies
        raise ModelUnavailableError(
            "the VAD needs faster-whisper and onnxruntime — run `pip install faster-whisper`"
        ) from exc
    path = Path(get_assets_path()) / "silero_vad_v6.onnx"
    if not path.is_file():
        raise ModelUnavailableError(f"Silero VAD model missing at {path}; reinstall faster-whisper")
    opts = onnxruntime.SessionOptions()
    # The model is tiny; one thread each keeps it from competing with the recogniser.
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 4
    return onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"], sess_options=opts
    )


class StreamingVad:
    """Speech probability for each 32 ms window of one channel, fed in pieces of any size.

    The recurrent state and the last window's tail are carried over, so feeding a signal
    in pieces gives the same probabilities as feeding it whole. One instance per channel;
    the ONNX session underneath is shared.
    """

    _lock = threading.Lock()

    def __init__(self) -> None:
        self._session = _session()
        self._state_h = np.zeros((1, 1, 128), np.float32)
        self._state_c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(_CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)

    def feed(self, samples: np.ndarray) -> np.ndarray:
        """Return one probability per complete window now available (possibly none)."""
        data = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        count = len(data) // WINDOW
        self._pending = data[count * WINDOW :]
        if count == 0:
            return np.zeros(0, np.float32)
        windows = data[: count * WINDOW].reshape(count, WINDOW)
        contexts = np.empty((count, _CONTEXT), np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -_CONTEXT:]
        self._context = windows[-1, -_CONTEXT:].copy()
        batch = np.concatenate([contexts, windows], axis=1)
        with self._lock:
            probs, self._state_h, self._state_c = self._session.run(  # type: ignore[attr-defined]
                None, {"input": batch, "h": self._state_h, "c": self._state_c}
            )
        return np.asarray(probs, np.float32).reshape(-1)
