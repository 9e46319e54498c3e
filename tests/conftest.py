"""Shared fixtures. Tests use the real Whisper model on committed audio; nothing downloads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

# db_url / db_engine / db_session: each such test runs on SQLite and on PostgreSQL.
pytest_plugins = ["tests.dbfixtures"]

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "audio"
DEVSET = REPO.parent / "shared" / "devset"

# Settings come from the test's own environment only: no stray COPILOT_* from the shell.
for _name in [n for n in os.environ if n.startswith("COPILOT_")]:
    del os.environ[_name]
os.environ["HF_HUB_OFFLINE"] = "1"  # a test that tried to download would fail loudly
# Indexes, databases and secrets the code keeps under the user's data directory go to a
# throwaway one: a test run never writes into the home directory.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="copilot-test-data-")


@pytest.fixture(scope="session")
def speech_engine():  # type: ignore[no-untyped-def]
    """One loaded model for the whole run, as in the service."""
    from speech.config import SpeechConfig
    from speech.engine import SpeechEngine

    return SpeechEngine(SpeechConfig())


@pytest.fixture(scope="session")
def fixture_audio() -> Path:
    return FIXTURES


def load_timeline(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
