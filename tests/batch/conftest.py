"""Short recordings cut from a committed call, a migrated database with the demo tenant,
and the service's engines built once."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from copilot.batch.runner import batch_state, close_state
from copilot.service.app import build_engines
from copilot.service.pipeline import Engines
from copilot.service.state import ServiceState
from copilot.settings import Settings
from copilot.store.db import DatabaseConfig, make_engine, session_factory
from copilot.store.repo import ensure_demo_tenant
from retrieval import RetrievalConfig, Suggester
from retrieval.config import ChromaConfig
from tests.conftest import FIXTURES

CALL = FIXTURES / "fx_short.stereo.wav"  # 16 s, rep on the left, customer on the right
# Three overlapping windows of it (fractions of the call): three different recordings.
WINDOWS = [(0.0, 0.4), (0.3, 0.7), (0.6, 1.0)]


def cut(source: Path, start: float, end: float, out: Path) -> Path:
    """The part of a WAV between two fractions of its length, as a WAV of its own."""
    with wave.open(str(source)) as wav:
        params = wav.getparams()
        frames = wav.readframes(params.nframes)
    width = params.sampwidth * params.nchannels
    first, last = int(start * params.nframes), int(end * params.nframes)
    with wave.open(str(out), "wb") as clip:
        clip.setparams(params)
        clip.writeframes(frames[first * width : last * width])
    return out


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    return [cut(CALL, a, b, folder / f"clip{n}.wav") for n, (a, b) in enumerate(WINDOWS)]


@pytest.fixture
def recordings(tmp_path: Path, clips: list[Path]) -> Path:
    """A folder of the three clips."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    for clip in clips:
        (folder / clip.name).write_bytes(clip.read_bytes())
    return folder


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    retrieval = RetrievalConfig(chroma=ChromaConfig(path=tmp_path_factory.mktemp("chroma")))
    suggester = Suggester(retrieval)
    suggester.ensure_ready()
    return build_engines(Settings(retrieval=retrieval), suggester)


@dataclass
class Store:
    settings: Settings
    sessions: sessionmaker[Session]
    state: ServiceState


@pytest.fixture
def store(db_url: str, engines: Engines) -> Iterator[Store]:
    settings = Settings(database=DatabaseConfig(url=db_url))
    engine = make_engine(db_url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        ensure_demo_tenant(session)
    state = batch_state(settings, sessions, engines)
    try:
        yield Store(settings, sessions, state)
    finally:
        close_state(state)
        engine.dispose()
