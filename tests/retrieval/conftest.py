"""Fixtures of the retrieval tests: real Chroma (local files in tmp dirs, or a real server),
the real KB, never the user's home directory."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from copilot.insights import RuleExtractor
from copilot.settings import get_settings
from retrieval import RetrievalConfig, Suggester
from retrieval.config import ChromaConfig
from tests import processes

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]
DEVSET = REPO.parent / "shared" / "devset" / "utterances.jsonl"
EXTRA = DATA / "objections_extra.jsonl"


@pytest.fixture(autouse=True)
def _no_home_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Whatever a test forgets to configure lands in its tmp dir, not ~/.local/share."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("COPILOT_RETRIEVAL__CHROMA__PATH", str(tmp_path / "chroma-env"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def config_at(path: Path, **updates: object) -> RetrievalConfig:
    return RetrievalConfig(chroma=ChromaConfig(path=path)).model_copy(update=updates)


@pytest.fixture
def config(tmp_path: Path) -> RetrievalConfig:
    return config_at(tmp_path / "chroma")


@pytest.fixture(scope="session")
def suggester(tmp_path_factory: pytest.TempPathFactory) -> Suggester:
    """One suggester over the real KB for the whole run, as the service would hold: with
    the rule extractor injected (alone, the library falls back to its lexicon)."""
    built = Suggester(config_at(tmp_path_factory.mktemp("chroma")), extractor=RuleExtractor())
    built.ensure_ready()
    return built


def load_labelled(path: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [row for row in rows if row.get("objection")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaConfig]:
    """A real ``chroma run`` on a free loopback port, stopped after the session."""
    binary = Path(sys.executable).parent / "chroma"
    if not binary.exists():
        found = shutil.which("chroma")
        if found is None:
            pytest.fail("the chroma command is missing: install the project (pip install -e .)")
        binary = Path(found)
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("wb")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    process = subprocess.Popen(
        [
            str(binary),
            "run",
            "--path",
            str(data / "db"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        heartbeat = f"http://127.0.0.1:{port}/api/v2/heartbeat"
        processes.wait_until_answering(heartbeat, process, data / "server.log", 30, "chroma run")
        yield ChromaConfig(mode="http", host="127.0.0.1", port=port, timeout_s=5)
    finally:
        processes.stop(process, timeout_s=10)
        log.close()
