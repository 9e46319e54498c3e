"""The real service on a loopback port: real database, real engines, real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from copilot.commands.service import running_service
from copilot.service.app import build_engines
from copilot.service.config import ServiceConfig
from copilot.service.pipeline import Engines
from copilot.settings import Settings
from copilot.store import repo
from copilot.store.db import DatabaseConfig
from copilot.store.tenants import DEMO_ORG_ID, DEMO_TEAM_ID
from retrieval import RetrievalConfig, Suggester
from retrieval.config import ChromaConfig
from speech.engine import SpeechEngine

DEVSET_AUDIO = Path(__file__).resolve().parents[2].parent / "shared" / "devset" / "audio"


@dataclass
class Service:
    url: str
    rep_key: str
    settings: Settings


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """Extraction, compliance and suggestions, built once for all service tests."""
    retrieval = RetrievalConfig(chroma=ChromaConfig(path=tmp_path_factory.mktemp("chroma")))
    settings = Settings(retrieval=retrieval)
    suggester = Suggester(retrieval)
    suggester.ensure_ready()
    return build_engines(settings, suggester)


# The tests replay recordings several times faster than real time; the pacing tests set
# their own limits.
FAST_REPLAY = {"max_audio_speed": 8.0}


def service_settings(db_url: str, **service: object) -> Settings:
    options = {**FAST_REPLAY, **service}
    return Settings(
        database=DatabaseConfig(url=db_url),
        service=ServiceConfig(preload_speech=False, **options),  # type: ignore[arg-type]
    )


@pytest.fixture
def service(db_url: str, engines: Engines, speech_engine: SpeechEngine) -> Iterator[Service]:
    settings = service_settings(db_url)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def add_demo_manager(session: Session) -> tuple[str, str]:
    """A manager of the demo org's team (钱经理) with an API key: ``(user id, key)``."""
    manager = repo.create_user(
        session, DEMO_ORG_ID, name="钱经理", email="q@a.example", role="manager",
        team_id=DEMO_TEAM_ID,
    )  # fmt: skip
    _, key = repo.create_api_key(session, manager, label="test")
    return manager.id, key
