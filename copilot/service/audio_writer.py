"""A streamed call's audio, written to a WAV file as it streams (when the org keeps
recordings).

Written from the call's worker thread, just before each chunk is recognised (``LiveCall``),
never on the event loop: one ``write`` of the int16 frames and two 4-byte header updates
per chunk, so the file is a valid WAV at every moment (a crash or a dropped socket leaves
a playable recording) and a resumed call appends to it. A failing disk stops the recording,
never the call.
"""

from __future__ import annotations

import logging
import os
import struct
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

HEADER_BYTES = 44
_RIFF_SIZE_AT = 4
_DATA_SIZE_AT = 40
# WAV sizes are 32-bit: stop before the data would overflow them (~18 h of 16 kHz stereo).
MAX_DATA_BYTES = 0xFFFFFFFF - HEADER_BYTES


def _header(sample_rate: int, channels: int, data_bytes: int) -> bytes:
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", HEADER_BYTES - 8 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class WavRecording:
    """Appends float32 samples (shape ``(channels, n)``, -1…1) as 16-bit PCM."""

    def __init__(self, path: Path, *, sample_rate: int, channels: int) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.channels = channels
        self._fd: int | None = None
        self._data_bytes = 0
        self.failed = False

    def _open(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        size = os.fstat(fd).st_size
        if size >= HEADER_BYTES and self._matches(os.pread(fd, HEADER_BYTES, 0)):
            # A resumed call: continue after the audio already there (whole frames only).
            block = self.channels * 2
            self._data_bytes = (size - HEADER_BYTES) // block * block
            os.ftruncate(fd, HEADER_BYTES + self._data_bytes)
        else:
            os.ftruncate(fd, 0)
            os.pwrite(fd, _header(self.sample_rate, self.channels, 0), 0)
            self._data_bytes = 0
        return fd

    def _matches(self, header: bytes) -> bool:
        return (
            header[:4] == b"RIFF"
            and header[12:36] == _header(self.sample_rate, self.channels, 0)[12:36]
        )

    def write(self, samples: np.ndarray) -> None:
        if self.failed or samples.size == 0:
            return
        try:
            if self._fd is None:
                self._fd = self._open()
            pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").T.tobytes()
            if self._data_bytes + len(pcm) > MAX_DATA_BYTES:
                raise OSError("the recording reached the WAV size limit")
            os.pwrite(self._fd, pcm, HEADER_BYTES + self._data_bytes)
            self._data_bytes += len(pcm)
            os.pwrite(
                self._fd, struct.pack("<I", HEADER_BYTES - 8 + self._data_bytes), _RIFF_SIZE_AT
            )
            os.pwrite(self._fd, struct.pack("<I", self._data_bytes), _DATA_SIZE_AT)
        except OSError:
            logger.exception("recording %s stopped; the call goes on", self.path.name)
            self.failed = True
            self.close()

    @property
    def duration_s(self) -> float:
        return self._data_bytes / (self.channels * 2 * self.sample_rate)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
