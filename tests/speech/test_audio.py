"""Decoding files and live frames, and refusing what is not audio."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from speech.audio import SAMPLE_RATE, PcmFormat, PcmFrameDecoder, decode_file, to_pcm_s16le
from speech.errors import AudioDecodeError, StreamFormatError, UnsupportedAudioError


def tone(seconds: float, rate: int, channels: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    rows = [0.3 * np.sin(2 * np.pi * (220 + 110 * c) * t) for c in range(channels)]
    return np.stack(rows).astype(np.float32)


def write_audio(path: Path, samples: np.ndarray, rate: int, codec: str | None = None) -> Path:
    """Encode ``samples`` (channels, n) with PyAV into any container."""
    channels = samples.shape[0]
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec or "pcm_s16le", rate=rate, layout=layout)
        fmt = stream.codec_context.format.name
        resampler = av.AudioResampler(format=fmt, layout=layout, rate=rate)
        frame_len = 1024
        pts = 0
        for start in range(0, samples.shape[1], frame_len):
            chunk = samples[:, start : start + frame_len]
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(chunk), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = pts
            pts += chunk.shape[1]
            for converted in resampler.resample(frame):
                container.mux(stream.encode(converted))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(
    ("suffix", "codec", "rate"),
    [
        ("wav", None, 44_100),
        ("flac", "flac", 44_100),
        ("mp3", "libmp3lame", 44_100),
        ("m4a", "aac", 44_100),
        ("ogg", "libopus", 48_000),
    ],
)
def test_decodes_common_formats_to_16k(
    tmp_path: Path, suffix: str, codec: str | None, rate: int
) -> None:
    path = write_audio(tmp_path / f"a.{suffix}", tone(2.0, rate, 2), rate, codec)
    audio = decode_file(path)
    assert audio.channels == 2
    assert audio.source_rate == rate
    assert audio.samples.dtype == np.float32
    assert abs(audio.duration - 2.0) < 0.1


@pytest.mark.parametrize("rate", [8_000, 22_050, 48_000])
def test_any_sample_rate_mono(tmp_path: Path, rate: int) -> None:
    audio = decode_file(write_audio(tmp_path / "m.wav", tone(1.5, rate, 1), rate))
    assert audio.channels == 1
    assert abs(audio.samples.shape[1] - 1.5 * SAMPLE_RATE) < SAMPLE_RATE * 0.02
    # The 220 Hz tone survives resampling: its energy sits at 220 Hz.
    spectrum = np.abs(np.fft.rfft(audio.samples[0]))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / audio.samples.shape[1] - 220) < 3


def test_three_channels_are_refused(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "three.wav", tone(1.0, 16_000, 3), 16_000)
    with pytest.raises(UnsupportedAudioError, match="3 audio channels"):
        decode_file(path)


def test_missing_empty_and_non_audio_files(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match="no such file"):
        decode_file(tmp_path / "missing.wav")
    with pytest.raises(AudioDecodeError, match=f"{tmp_path}: not a regular file"):
        decode_file(tmp_path)  # a folder (or /dev/null) is there, but is no recording
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_file(empty)
    text = tmp_path / "notes.wav"
    text.write_text("这不是音频文件\n" * 50, encoding="utf-8")
    with pytest.raises(AudioDecodeError, match="not a readable audio file|no audio"):
        decode_file(text)
    with pytest.raises(AudioDecodeError):
        decode_file(tmp_path)


def test_truncated_wav_is_an_error_not_a_short_recording(tmp_path: Path) -> None:
    whole = write_audio(tmp_path / "whole.wav", tone(4.0, 16_000, 2), 16_000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    with pytest.raises(AudioDecodeError, match="truncated"):
        decode_file(cut)


def test_wav_header_only_has_no_samples(tmp_path: Path) -> None:
    whole = write_audio(tmp_path / "whole.wav", tone(1.0, 16_000, 1), 16_000)
    header_only = tmp_path / "header.wav"
    header_only.write_bytes(whole.read_bytes()[:44])
    with pytest.raises(AudioDecodeError):
        decode_file(header_only)


def test_frames_split_anywhere_decode_like_the_whole() -> None:
    samples = tone(1.0, 16_000, 2)
    pcm = to_pcm_s16le(samples)
    decoder = PcmFrameDecoder(PcmFormat(16_000, 2))
    sizes = [4, 640, 3200, 12, 6400]
    pieces, offset, i = [], 0, 0
    while offset < len(pcm):
        size = sizes[i % len(sizes)]
        pieces.append(decoder.decode(pcm[offset : offset + size]))
        offset += size
        i += 1
    decoded = np.concatenate(pieces, axis=1)
    assert decoded.shape == samples.shape
    assert np.abs(decoded - samples).max() < 1e-4


def test_stream_at_48k_is_resampled_to_16k() -> None:
    samples = tone(2.0, 48_000, 1)
    pcm = to_pcm_s16le(samples)
    decoder = PcmFrameDecoder(PcmFormat(48_000, 1))
    step = 48_000 // 10 * 2  # 100 ms frames
    parts = [decoder.decode(pcm[i : i + step]) for i in range(0, len(pcm), step)]
    parts.append(decoder.flush())
    out = np.concatenate(parts, axis=1)
    assert abs(out.shape[1] - 2 * SAMPLE_RATE) <= 64


@pytest.mark.parametrize(
    ("rate", "channels", "encoding", "message"),
    [
        (4_000, 1, "pcm_s16le", "sample rate"),
        (96_000, 2, "pcm_s16le", "sample rate"),
        (16_000, 3, "pcm_s16le", "channel count"),
        (16_000, 0, "pcm_s16le", "channel count"),
        (16_000, 1, "opus", "encoding"),
    ],
)
def test_bad_stream_headers_are_refused(
    rate: int, channels: int, encoding: str, message: str
) -> None:
    with pytest.raises(StreamFormatError, match=message):
        PcmFormat(rate, channels, encoding)  # type: ignore[arg-type]


def test_bad_frames_are_refused_and_the_stream_goes_on() -> None:
    decoder = PcmFrameDecoder(PcmFormat(16_000, 2))
    with pytest.raises(StreamFormatError, match="empty"):
        decoder.decode(b"")
    with pytest.raises(StreamFormatError, match="whole number"):
        decoder.decode(b"\x00" * 642)
    with pytest.raises(StreamFormatError, match="larger than"):
        decoder.decode(b"\x00" * (16_000 * 4 * 3))
    assert decoder.decode(b"\x00" * 640).shape == (2, 160)
