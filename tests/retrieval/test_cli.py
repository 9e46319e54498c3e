"""``copilot kb …`` and ``copilot suggest`` as a user runs them. The Chroma index goes to the
test's tmp dir through COPILOT_RETRIEVAL__CHROMA__PATH (set by the autouse fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from copilot.commands import kb
from tests.retrieval.conftest import DATA, REPO

runner = CliRunner()
app = typer.Typer()
kb.register(app)


@app.callback()
def _root() -> None:
    """Keeps the commands subcommands, as in the real CLI."""


def test_validate_the_real_kb() -> None:
    result = runner.invoke(app, ["kb", "validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "ok" in result.stderr


def test_validate_lists_every_problem_and_fails() -> None:
    broken = DATA / "broken_kb"
    result = runner.invoke(app, ["kb", "validate", str(broken)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 8
    assert (
        f"{broken / 'scripts' / 'price.yaml'}:17: kb-script-price-gen-03: unknown tag"
        in result.stdout
    )
    as_json = runner.invoke(app, ["kb", "validate", str(broken), "--json"])
    problems = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and len(problems) == 8
    assert {"file", "line", "entry_id", "message"} == set(problems[0])


def test_validate_a_missing_directory(tmp_path: Path) -> None:
    result = runner.invoke(app, ["kb", "validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no such knowledge-base directory" in result.stderr


def test_ingest_counts_then_nothing_changes(tmp_path: Path) -> None:
    first = runner.invoke(app, ["kb", "ingest", "--json"])
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)
    assert counts["added"] > 100 and counts["updated"] == counts["removed"] == 0
    again = runner.invoke(app, ["kb", "ingest"])
    assert again.exit_code == 0, again.output
    assert f"0 added, 0 updated, {counts['added']} unchanged, 0 removed" in again.stdout
    assert str(tmp_path / "chroma-env") in again.stdout


def test_ingest_refuses_an_invalid_kb() -> None:
    result = runner.invoke(app, ["kb", "ingest", str(DATA / "broken_kb")])
    assert result.exit_code == 1
    assert "8 problem(s)" in result.stderr and "copilot kb validate" in result.stderr


def test_search_with_filters() -> None:
    result = runner.invoke(
        app,
        [
            "kb",
            "search",
            "数据安全",
            "--kind",
            "script",
            "--industry",
            "medical_devices",
            "-k",
            "4",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert len(found) == 4 and all(item["kind"] == "script" for item in found)
    assert "risk" in found[0]["tags"]
    table = runner.invoke(app, ["kb", "search", "纷享销客", "--kind", "battlecard", "-k", "1"])
    assert table.exit_code == 0 and "kb-battle-fxiaoke" in table.stdout


def test_search_rejects_a_bad_filter() -> None:
    result = runner.invoke(app, ["kb", "search", "价格", "--objection", "weather"])
    assert result.exit_code == 1
    assert "bad filter" in result.stderr


def test_suggest_json() -> None:
    result = runner.invoke(app, ["suggest", "你们这个价格我们实在接受不了，太贵了。", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["objection"] == "price" and len(data["suggestions"]) == 3
    assert any("price" in item["tags"] for item in data["suggestions"])


def test_suggest_readable_and_stdin() -> None:
    result = runner.invoke(app, ["suggest", "-"], input="这个要等我们李总回来再定。")
    assert result.exit_code == 0, result.output
    assert "authority" in result.stdout and "kb-script-authority" in result.stdout


def test_suggest_jsonl_echoes_ids_and_survives_bad_lines(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_bytes(
        b'{"id": "a", "text": "\xe6\x98\x8e\xe5\xb9\xb4\xe5\x86\x8d\xe8\xaf\xb4"}\n'  # 明年再说
        b"not json\n"
        b'{"id": 7}\n'
        b'{"id": 8, "text": "\xe8\x80\x81\xe6\x9d\xbf\xe6\x8b\x8d\xe6\x9d\xbf"}\n'  # 老板拍板
        b"\xff\xfe\n"
    )
    result = runner.invoke(app, ["suggest", "--jsonl", str(lines)])
    assert result.exit_code == 1  # bad lines: non-zero, after processing every line
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", None, 7, 8, None]
    assert records[0]["objection"] == "timing" and records[3]["objection"] == "authority"
    assert "malformed JSON" in records[1]["error"] and "text" in records[2]["error"]
    assert "UTF-8" in records[4]["error"]
    assert "3 line(s)" in result.stderr


def test_suggest_needs_text_or_file() -> None:
    result = runner.invoke(app, ["suggest"])
    assert result.exit_code == 1 and "give either TEXT or --jsonl FILE" in result.stderr
    missing = runner.invoke(app, ["suggest", "--jsonl", "/nonexistent/file.jsonl"])
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_unreachable_server_is_one_line_on_stderr(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from copilot.settings import get_settings
    from tests.retrieval.conftest import free_port

    monkeypatch.setenv("COPILOT_RETRIEVAL__CHROMA__MODE", "http")
    monkeypatch.setenv("COPILOT_RETRIEVAL__CHROMA__PORT", str(free_port()))
    monkeypatch.setenv("COPILOT_RETRIEVAL__CHROMA__TIMEOUT_S", "1")
    get_settings.cache_clear()
    result = runner.invoke(app, ["suggest", "太贵了", "--json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "did not answer its heartbeat" in result.stderr


def test_the_installed_copilot_command(tmp_path: Path) -> None:
    """The real console script, so that the registration in copilot/cli.py is covered."""
    env = {**os.environ, "COPILOT_RETRIEVAL__CHROMA__PATH": str(tmp_path / "chroma")}
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "copilot"), "suggest", "太贵了", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["objection"] == "price"
    assert (tmp_path / "chroma").is_dir()


def test_a_folder_without_kb_files_is_refused_and_the_index_kept(tmp_path: Path) -> None:
    """Before: `validate` said "ok: 0 file(s)" and `ingest` emptied the index (113 entries
    removed from this machine's default one by a mistyped folder)."""
    (tmp_path / "notes.txt").write_text("not a KB file", encoding="utf-8")
    for command in ("validate", "ingest"):
        result = runner.invoke(app, ["kb", command, str(tmp_path)])
        assert result.exit_code == 1, result.output
        assert f"{tmp_path}: no knowledge-base files (*.yaml) in it; nothing changed" in (
            result.stderr
        )
    kept = runner.invoke(app, ["kb", "ingest", "--json"])
    assert kept.exit_code == 0 and json.loads(kept.stdout)["removed"] == 0
