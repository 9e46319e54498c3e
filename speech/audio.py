"""Audio in: whole files through PyAV, and live PCM frames with a declared format.

Everything leaves this module as float32 samples at 16 kHz, one row per channel.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import av
import numpy as np

from speech.errors import AudioDecodeError, StreamFormatError, UnsupportedAudioError

SAMPLE_RATE = 16_000
MAX_CHANNELS = 2
_LAYOUTS = {1: "mono", 2: "stereo"}
# A file whose decoded length falls this far short of what its header declares is truncated.
_TRUNCATION_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class DecodedAudio:
    """A whole recording: ``samples`` has shape (channels, n) at :data:`SAMPLE_RATE`."""

    samples: np.ndarray
    source_rate: int

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


class AudioTooLongError(UnsupportedAudioError):
    """The recording lasts longer than the caller accepts."""


class AudioFile:
    """An open recording, decoded a piece at a time so that memory does not grow with its
    length (a 24-hour file costs what a 1-minute one does). Use as a context manager."""

    def __init__(self, path: str | Path, *, max_duration_s: float | None = None) -> None:
        """Opens and checks the file; raises :class:`AudioTooLongError` at once when the
        container declares more than ``max_duration_s``, before any audio is decoded."""
        self.path = Path(path)
        self.max_duration_s = max_duration_s
        if not self.path.is_file():
            what = "not a regular file" if self.path.exists() else "no such file"
            raise AudioDecodeError(f"{self.path}: {what}")
        if self.path.stat().st_size == 0:
            raise AudioDecodeError(f"{self.path}: the file is empty")
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise AudioDecodeError(f"{self.path}: not a readable audio file ({exc})") from exc
        try:
            self._stream = self._open_stream()
        except BaseException:
            self._container.close()
            raise

    def _open_stream(self) -> av.AudioStream:
        streams = self._container.streams.audio
        if not streams:
            raise AudioDecodeError(f"{self.path}: the file holds no audio stream")
        stream = streams[0]
        channels = stream.codec_context.channels
        if channels not in _LAYOUTS:
            raise UnsupportedAudioError(
                f"{self.path}: {channels} audio channels; only mono or stereo (rep left, "
                "customer right) is supported — downmix or split the file first"
            )
        self.channels: int = channels
        self.source_rate: int = stream.codec_context.sample_rate
        self.declared_duration = _declared_duration(self._container, stream, self.path)
        limit = self.max_duration_s
        if limit is not None and self.declared_duration is not None:
            if self.declared_duration > limit:
                raise AudioTooLongError(
                    f"{self.path}: the recording lasts {_minutes(self.declared_duration)}, "
                    f"more than the {_minutes(limit)} allowed — split it into shorter parts"
                )
        return stream

    def __enter__(self) -> AudioFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def chunks(self, chunk_s: float = 1.0) -> Iterator[np.ndarray]:
        """The audio as float32 arrays of shape (channels, n) at 16 kHz, each ``chunk_s``
        long except the last. Raises :class:`AudioTooLongError` as soon as more than
        ``max_duration_s`` has been decoded (a file may not declare its length, or lie),
        and :class:`AudioDecodeError` for corrupt or truncated data."""
        size = max(1, int(chunk_s * SAMPLE_RATE))
        limit = self.max_duration_s
        # The tolerance keeps a file of exactly the allowed length (give or take the
        # resampler's rounding) acceptable.
        cap = None if limit is None else int((limit + _TRUNCATION_TOLERANCE_S) * SAMPLE_RATE)
        resampler = av.AudioResampler(
            format="fltp", layout=_LAYOUTS[self.channels], rate=SAMPLE_RATE
        )
        pending: list[np.ndarray] = []
        held = 0  # samples in ``pending``
        total = 0  # samples decoded so far
        try:
            for frame in itertools.chain(self._container.decode(self._stream), [None]):
                for out in resampler.resample(frame):
                    piece = out.to_ndarray()
                    pending.append(piece)
                    held += piece.shape[1]
                    total += piece.shape[1]
                if cap is not None and total > cap:
                    raise AudioTooLongError(
                        f"{self.path}: the recording lasts more than the "
                        f"{_minutes(self.max_duration_s or 0)} allowed; decoding stopped there "
                        "— split it into shorter parts"
                    )
                while held >= size or (frame is None and held):
                    data = np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
                    chunk, rest = data[:, :size], data[:, size:]
                    pending, held = ([rest] if rest.shape[1] else []), rest.shape[1]
                    yield np.ascontiguousarray(chunk, dtype=np.float32)
        except av.error.FFmpegError as exc:
            raise AudioDecodeError(
                f"{self.path}: the audio data is corrupt or truncated ({exc})"
            ) from exc
        if not total:
            raise AudioDecodeError(f"{self.path}: the file contains no audio samples")
        decoded = total / SAMPLE_RATE
        declared = self.declared_duration
        if declared is not None and declared - decoded > _TRUNCATION_TOLERANCE_S:
            raise AudioDecodeError(
                f"{self.path}: truncated — the header declares {declared:.1f} s of audio but "
                f"only {decoded:.1f} s could be decoded"
            )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds < 600 else f"{seconds / 60:.0f} min"


def open_audio(path: str | Path, *, max_duration_s: float | None = None) -> AudioFile:
    """Open a recording for decoding in chunks (see :class:`AudioFile`)."""
    return AudioFile(path, max_duration_s=max_duration_s)


def decode_file(path: str | Path, *, max_duration_s: float | None = None) -> DecodedAudio:
    """Read any audio PyAV understands (wav, flac, mp3, m4a, ogg…), resampled to 16 kHz,
    into memory at once: for short clips. Long recordings go through :func:`open_audio`."""
    with open_audio(path, max_duration_s=max_duration_s) as audio:
        chunks = list(audio.chunks(chunk_s=60.0))
        samples = np.concatenate(chunks, axis=1) if len(chunks) > 1 else chunks[0]
        return DecodedAudio(samples=samples, source_rate=audio.source_rate)


def _declared_duration(
    container: av.container.InputContainer, stream: av.AudioStream, path: Path
) -> float | None:
    """How long the file says it is. FFmpeg derives a WAV's duration from the file size, so
    for WAV the data chunk's own size is read: that is what exposes a truncated download."""
    wav = _wav_declared_duration(path)
    if wav is not None:
        return wav
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _wav_declared_duration(path: Path) -> float | None:
    with path.open("rb") as handle:
        header = handle.read(4096)
    if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return None
    byte_rate = None
    offset = 12
    while offset + 8 <= len(header):
        chunk_id = header[offset : offset + 4]
        size = int.from_bytes(header[offset + 4 : offset + 8], "little")
        if chunk_id == b"fmt " and offset + 16 <= len(header):
            byte_rate = int.from_bytes(header[offset + 16 : offset + 20], "little")
        elif chunk_id == b"data":
            # 0 and 0xFFFFFFFF mean "unknown" (a WAV written by a live recorder).
            if not byte_rate or size in (0, 0xFFFFFFFF):
                return None
            return size / byte_rate
        offset += 8 + size + (size & 1)
    return None


Encoding = Literal["pcm_s16le"]


@dataclass(frozen=True)
class PcmFormat:
    """What a live stream declares in its header."""

    sample_rate: int
    channels: int
    encoding: Encoding = "pcm_s16le"

    MIN_RATE = 8_000
    MAX_RATE = 48_000

    def __post_init__(self) -> None:
        if self.encoding != "pcm_s16le":
            raise StreamFormatError(
                f"unsupported encoding {self.encoding!r}; send 16-bit little-endian PCM "
                "('pcm_s16le')"
            )
        if not self.MIN_RATE <= self.sample_rate <= self.MAX_RATE:
            raise StreamFormatError(
                f"unsupported sample rate {self.sample_rate} Hz; use {self.MIN_RATE}–"
                f"{self.MAX_RATE} Hz (16000 preferred)"
            )
        if self.channels not in _LAYOUTS:
            raise StreamFormatError(
                f"unsupported channel count {self.channels}; send mono or stereo "
                "(rep left, customer right)"
            )

    @property
    def bytes_per_sample_frame(self) -> int:
        return 2 * self.channels


class PcmFrameDecoder:
    """Turns the binary frames of one live stream into float32 at 16 kHz, channel rows.

    Keeps resampler state between frames so that a stream split at any byte boundary that
    respects whole samples decodes exactly as the whole would.
    """

    def __init__(self, fmt: PcmFormat, max_frame_s: float = 2.0) -> None:
        self.format = fmt
        self._max_frame_bytes = int(max_frame_s * fmt.sample_rate) * fmt.bytes_per_sample_frame
        self._resampler = (
            None
            if fmt.sample_rate == SAMPLE_RATE
            else av.AudioResampler(format="fltp", layout=_LAYOUTS[fmt.channels], rate=SAMPLE_RATE)
        )

    def decode(self, frame: bytes) -> np.ndarray:
        """Validate and convert one frame; raises :class:`StreamFormatError` on a bad one."""
        size = len(frame)
        step = self.format.bytes_per_sample_frame
        if size == 0:
            raise StreamFormatError("empty audio frame")
        if size > self._max_frame_bytes:
            raise StreamFormatError(
                f"audio frame of {size} bytes is larger than the {self._max_frame_bytes} bytes "
                "allowed (2 s); send frames of 20–500 ms"
            )
        if size % step:
            raise StreamFormatError(
                f"audio frame of {size} bytes is not a whole number of {self.format.channels}-"
                f"channel 16-bit samples ({step} bytes each)"
            )
        interleaved = np.frombuffer(frame, dtype="<i2")
        if self._resampler is None:
            planar = interleaved.reshape(-1, self.format.channels).T
            return planar.astype(np.float32) / 32768.0
        return self._resample(interleaved)

    def flush(self) -> np.ndarray:
        """Samples still held by the resampler at the end of the stream."""
        if self._resampler is None:
            return np.zeros((self.format.channels, 0), np.float32)
        return _frames_to_array(self._resampler.resample(None), self.format.channels)

    def _resample(self, interleaved: np.ndarray) -> np.ndarray:
        assert self._resampler is not None
        frame = av.AudioFrame.from_ndarray(
            interleaved.reshape(1, -1), format="s16", layout=_LAYOUTS[self.format.channels]
        )
        frame.sample_rate = self.format.sample_rate
        return _frames_to_array(self._resampler.resample(frame), self.format.channels)


def _frames_to_array(frames: list[av.AudioFrame], channels: int) -> np.ndarray:
    if not frames:
        return np.zeros((channels, 0), np.float32)
    return np.concatenate([f.to_ndarray() for f in frames], axis=1).astype(np.float32)


def to_pcm_s16le(samples: np.ndarray) -> bytes:
    """Interleave (channels, n) float samples into 16-bit PCM bytes, for replaying a file."""
    clipped = np.clip(samples, -1.0, 1.0 - 1.0 / 32768)
    return (clipped.T * 32768.0).astype("<i2").tobytes()
