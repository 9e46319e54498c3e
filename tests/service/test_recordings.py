"""Kept recordings of streamed calls: written as a WAV while the call streams (on the call's
worker thread), appended on resume, only when the org keeps recordings; the 录音告知 from
the start message is recorded."""

from __future__ import annotations

import asyncio
import json
import wave
from pathlib import Path

import numpy as np
import pytest
import websockets
from sqlalchemy import select

from copilot.commands.service import running_service
from copilot.service.audio_writer import HEADER_BYTES, WavRecording
from copilot.service.pipeline import Engines
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Call, Org
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le
from speech.engine import SpeechEngine
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings
from tests.service.test_sockets import START, audio_url, token


def _read(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as wav:
        frames = wav.readframes(wav.getnframes())
        return wav.getframerate(), wav.getnchannels(), np.frombuffer(frames, "<i2")


def test_the_wav_is_valid_after_every_write_and_a_resume_appends(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    tone = np.sin(np.linspace(0, 200, SAMPLE_RATE, dtype=np.float32)) * 0.5
    chunk = np.stack([tone, -tone])  # (2, 16000): one second of stereo
    first = WavRecording(path, sample_rate=SAMPLE_RATE, channels=2)
    first.write(chunk)
    # Not closed (a crash): the header already describes the second written.
    rate, channels, pcm = _read(path)
    assert (rate, channels, len(pcm)) == (SAMPLE_RATE, 2, 2 * SAMPLE_RATE)
    assert np.allclose(pcm[0::2] / 32767, tone, atol=1e-4)
    assert np.allclose(pcm[1::2] / 32767, -tone, atol=1e-4)
    first.close()
    resumed = WavRecording(path, sample_rate=SAMPLE_RATE, channels=2)
    resumed.write(chunk[:, :8000])
    resumed.close()
    assert len(_read(path)[2]) == 2 * (SAMPLE_RATE + 8000)
    assert path.stat().st_size == HEADER_BYTES + 4 * (SAMPLE_RATE + 8000)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_minute_of_frames_is_a_minute_of_audio(tmp_path: Path) -> None:
    # What a frame costs the live path is `python -m bench.recording`'s (target < 1 ms).
    path = tmp_path / "call.wav"
    recording = WavRecording(path, sample_rate=SAMPLE_RATE, channels=2)
    frame = np.zeros((2, SAMPLE_RATE // 10), dtype=np.float32)  # 100 ms, the usual frame
    for _ in range(600):
        recording.write(frame)
    recording.close()
    rate, channels, pcm = _read(path)
    assert (rate, channels, len(pcm)) == (SAMPLE_RATE, 2, 2 * 60 * SAMPLE_RATE)


def test_a_full_disk_stops_the_recording_not_the_call(tmp_path: Path) -> None:
    recording = WavRecording(tmp_path / "missing" / "call.wav", sample_rate=SAMPLE_RATE, channels=1)
    recording.write(np.zeros((1, 160), dtype=np.float32))  # the directory is gone: no raise
    assert recording.failed


def _set_policy(db_url: str, policy: dict[str, object]) -> None:
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            for org in session.scalars(select(Org)):
                org.policy = {**org.policy, **policy}
    finally:
        engine.dispose()


def _call(db_url: str, client_id: str) -> Call:
    engine = make_engine(db_url)
    try:
        with session_factory(engine)() as session:
            call = session.scalars(select(Call).where(Call.client_id == client_id)).one()
            session.expunge(call)
            return call
    finally:
        engine.dispose()


async def _stream(service: Service, call_id: str, pcm: bytes, **start: object) -> None:
    tok = token(service, call_id)
    async with websockets.connect(audio_url(service, call_id, tok)) as ws:
        await ws.send(json.dumps({**START, **start}))
        assert json.loads(await ws.recv())["type"] == "started"
        for offset in range(0, len(pcm), 6400):  # 100 ms stereo frames
            await ws.send(pcm[offset : offset + 6400])
        await ws.send(json.dumps({"type": "stop"}))
        while json.loads(await ws.recv())["type"] != "stopped":
            pass


@pytest.mark.parametrize("keep", [True, False])
def test_a_streamed_call_is_recorded_only_when_the_org_keeps_recordings(
    keep: bool,
    _sqlite_template: Path,
    tmp_path: Path,
    engines: Engines,
    speech_engine: SpeechEngine,
) -> None:
    db_path = tmp_path / "copilot.db"
    db_path.write_bytes(_sqlite_template.read_bytes())
    db_url = f"sqlite:///{db_path}"
    audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
    seconds = 8
    pcm = to_pcm_s16le(audio.samples[:, : seconds * SAMPLE_RATE])
    settings = service_settings(db_url, upload_dir=tmp_path / "uploads")
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        _set_policy(db_url, {"keep_recordings": keep})
        service = Service(url, key, settings)
        asyncio.run(_stream(service, "kept", pcm, recording_notice=True))
    call = _call(db_url, "kept")
    assert call.recording_notice_at is not None
    kept = tmp_path / "uploads" / "recordings" / f"{call.id}.wav"
    if not keep:
        assert call.recording_path is None and not kept.exists()
        return
    assert call.recording_path == f"{call.id}.wav"
    rate, channels, samples = _read(kept)
    assert (rate, channels) == (SAMPLE_RATE, 2)
    assert abs(len(samples) / 2 / SAMPLE_RATE - seconds) < 0.2
