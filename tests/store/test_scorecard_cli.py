"""``copilot scorecard list|add|remove|reset|backfill`` as an administrator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from copilot.cli import app
from copilot.settings import get_settings

runner = CliRunner()


@pytest.fixture
def org(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
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


def keys(org: str) -> list[str]:
    return [item["key"] for item in json.loads(run("scorecard", "list", "--org", org, "--json"))]


def test_add_remove_reset(org: str) -> None:
    assert (
        run("scorecard", "list", "--org", org)
        .splitlines()[0]
        .startswith("recording_notice\t录音告知\t必说\t录音")
    )
    run(
        "scorecard", "add", "case_study", "--org", org, "--label", "介绍案例",
        "--cue", "案例", "--cue", "(客户|同行)(也|都)在用", "--must-say",
    )  # fmt: skip
    run("scorecard", "remove", "budget", "--org", org)
    assert keys(org) == [
        "recording_notice", "self_intro", "decision_maker", "next_step", "case_study",
    ]  # fmt: skip
    added = json.loads(run("scorecard", "list", "--org", org, "--json"))[-1]
    assert added["must_say"] is True and added["cues"] == ["案例", "(客户|同行)(也|都)在用"]
    bad = runner.invoke(
        app, ["scorecard", "add", "x", "--org", org, "--label", "X", "--cue", "[ab]"]
    )
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "[...]" in bad.stderr
    gone = runner.invoke(app, ["scorecard", "remove", "budget", "--org", org])
    assert gone.exit_code == 1 and "no active scorecard item" in gone.stderr
    run("scorecard", "reset", "--org", org)
    assert len(keys(org)) == 5
    assert runner.invoke(app, ["scorecard", "backfill", "--org", org]).exit_code == 0
