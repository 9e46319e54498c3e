"""``copilot vocab list|add|remove|import|export`` as an administrator runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def org(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An upgraded database with the org 华东公司; yields the org's name."""
    monkeypatch.setenv("COPILOT_DATABASE__URL", empty_db_url)
    get_settings.cache_clear()
    run("db", "upgrade")
    run("orgs", "create", "华东公司")
    yield "华东公司"
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


def test_add_list_remove_and_export(org: str) -> None:
    run("vocab", "add", "--org", org, "慧销通", "--kind", "product")
    run("vocab", "add", "--org", org, "孙建国", "--kind", "person")
    # A term the org has already is kept as it was, without an error.
    again = runner.invoke(app, ["vocab", "add", "--org", org, "慧销通", "--kind", "vendor"])
    assert again.exit_code == 0 and "already" in again.stderr
    assert run("vocab", "list", "--org", org) == "孙建国\tperson\tmanual\n慧销通\tproduct\tmanual\n"
    assert run("vocab", "export", "--org", org) == "孙建国,person\n慧销通,product\n"
    run("vocab", "remove", "--org", org, "孙建国")
    assert run("vocab", "list", "--org", org) == "慧销通\tproduct\tmanual\n"


def test_import_reads_lines_and_csv_and_an_export_round_trips(org: str, tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("慧销通,product\n云帆软件\n慧销通\n", encoding="utf-8")
    result = runner.invoke(app, ["vocab", "import", "--org", org, str(terms)])
    assert result.exit_code == 0 and "2 added, 1 already there" in result.stderr
    exported = tmp_path / "exported.csv"
    exported.write_text(run("vocab", "export", "--org", org), encoding="utf-8")
    assert (
        "0 added, 2 already there"
        in runner.invoke(app, ["vocab", "import", "--org", org, str(exported)]).stderr
    )


def test_mistakes_are_one_line_errors(org: str, tmp_path: Path) -> None:
    assert "no org with id or name '乙公司'" in refused("vocab", "list", "--org", "乙公司")
    assert "cannot be empty" in refused("vocab", "add", "--org", org, "  ")
    assert "at most 64" in refused("vocab", "add", "--org", org, "长" * 65)
    assert "kind must be one of" in refused("vocab", "add", "--org", org, "慧销通", "--kind", "x")
    assert "has no term 慧销通" in refused("vocab", "remove", "--org", org, "慧销通")
    bad = tmp_path / "bad.csv"
    bad.write_text("慧销通,product\n,product\n好,vocab,3\n金\x00蝶\n", encoding="utf-8")
    message = refused("vocab", "import", "--org", org, str(bad))
    assert "nothing stored" in message and ":2: a term cannot be empty" in message
    assert ":4: term '金\\x00蝶' holds a line break, tab or NUL" in message
    assert "cannot read" in refused("vocab", "import", "--org", org, str(tmp_path / "none.csv"))
    # A field over the csv module's limit (128 KiB) is a bad line, not a crash.
    bad.write_text("慧销通,product\n" + "长" * 200_000 + "\n", encoding="utf-8")
    message = refused("vocab", "import", "--org", org, str(bad))
    assert ":2: not readable as CSV (field larger than field limit (131072))" in message
    # Nothing of the bad file was stored.
    assert run("vocab", "list", "--org", org) == ""
