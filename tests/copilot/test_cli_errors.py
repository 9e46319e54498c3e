"""Mistakes a new user makes get one ``error:`` line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ") and "Traceback" not in stderr
    return lines[0]


def test_a_bad_setting_names_the_variable(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_SERVICE__PORT", "abc")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert "COPILOT_SERVICE__PORT" in line and "valid integer" in line


def test_every_bad_setting_is_on_the_one_line_and_secrets_are_not_echoed(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPILOT_SERVICE__PROT", "8000")
    monkeypatch.setenv("COPILOT_AUTH__SOCKET_TOKEN_SECRET", "short-secret-value")
    result = runner.invoke(app, ["extract", "预算五十万"])
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert "COPILOT_SERVICE__PROT" in line and "COPILOT_AUTH__SOCKET_TOKEN_SECRET" in line
    assert "short-secret-value" not in line


def test_the_installed_command_prints_one_line_for_a_bad_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COPILOT_")}
    env["COPILOT_SERVICE__PORT"] = "abc"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("copilot")), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # no .env of the checkout
    )
    assert done.returncode == 1, done.stderr
    assert "COPILOT_SERVICE__PORT" in _one_error_line(done.stderr)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_replay_to_a_stopped_service_is_one_line(fresh_settings: None, fixture_audio: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = runner.invoke(
        app,
        ["replay", str(fixture_audio / "fx_short.mono.wav"), "--url", url, "--api-key", "cpk_x"],
    )
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert f"cannot reach {url}" in line and "copilot serve" in line


def test_scan_jsonl_exits_1_on_a_bad_line_like_extract(
    fresh_settings: None, tmp_path: Path
) -> None:
    path = tmp_path / "messages.jsonl"
    good = json.dumps({"id": "a", "text": "给您打五折"}, ensure_ascii=False)
    path.write_text(f'{good}\n{{"id": "b", "text": \n', encoding="utf-8")
    for command in ("scan", "extract"):
        result = runner.invoke(app, [command, "--jsonl", str(path)])
        assert result.exit_code == 1, (command, result.output)
        records = [json.loads(line) for line in result.stdout.splitlines()]
        assert records[0]["id"] == "a" and "error" not in records[0]
        assert records[1]["error"].startswith("line 2: malformed JSON")
        assert "1 line(s)" in _one_error_line(result.stderr)


@pytest.mark.parametrize(
    "command",
    [
        ["users", "list", "--org", "甲公司"],
        ["vocab", "list", "--org", "甲公司"],
        ["train", "--org", "甲公司"],  # was a traceback
        ["purge"],
        ["serve", "--port", "0"],  # was a hundred-line startup traceback
    ],
)
def test_a_database_that_is_down_is_one_line_naming_the_setting(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """The driver's own reason on one line, without SQLAlchemy's SQL, parameters and
    link (before: three lines from most commands, a traceback from ``train --org``)."""
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/copilot"
    monkeypatch.setenv("COPILOT_DATABASE__URL", url)
    result = runner.invoke(app, command)
    assert result.exit_code == 1, (result.output, result.exception)
    line = _one_error_line(result.stderr)
    assert line.startswith("error: cannot use the database: connection failed:")
    assert "Connection refused (check COPILOT_DATABASE__URL;" in line


def test_an_error_after_the_websockets_package_loaded_is_still_judged() -> None:
    """The package loads ``websockets.exceptions`` lazily: looking for it as an attribute
    raised AttributeError inside the error handler, hiding the error itself (a database
    that was down, after a replay in the same process, printed nothing)."""
    probe = (
        "import websockets\n"
        "from copilot.commands.common import user_message\n"
        "print(user_message(ValueError('a bug keeps its traceback')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"


def test_serve_without_its_knowledge_base_folder_is_one_line(
    fresh_settings: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Before: the service started and answered every suggestion with a 500."""
    monkeypatch.setenv("COPILOT_RETRIEVAL__KB_DIR", str(tmp_path / "kb"))
    # Were the folder not checked first, the closed database stops serve (no hang).
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/copilot"
    monkeypatch.setenv("COPILOT_DATABASE__URL", url)
    result = runner.invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert (
        line
        == f"error: COPILOT_RETRIEVAL__KB_DIR: {tmp_path / 'kb'}: no such knowledge-base directory"
    )
