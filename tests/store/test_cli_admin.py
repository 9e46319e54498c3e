"""``copilot db/orgs/teams/users/keys/audit`` as an administrator runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from copilot.auth import authenticate_api_key
from copilot.commands import admin
from copilot.settings import get_settings
from copilot.store.db import make_engine, session_factory

runner = CliRunner()
app = typer.Typer()
admin.register(app)


@pytest.fixture
def cli_db(empty_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COPILOT_DATABASE__URL", empty_db_url)
    get_settings.cache_clear()
    yield empty_db_url
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_from_an_empty_database_to_a_working_key(cli_db: str) -> None:
    refused = runner.invoke(app, ["orgs", "create", "华东公司"])
    assert refused.exit_code == 1 and "copilot db upgrade" in refused.stderr
    run("db", "upgrade")
    org_id = run("orgs", "create", "华东公司")
    team_id = run("teams", "create", "一组", "--org", "华东公司")
    user_id = run(
        "users", "create", "--org", org_id, "--name", "李销售", "--email", "li@example.cn",
        "--role", "rep", "--team", "一组",
    )  # fmt: skip
    key = run("keys", "create", "--user", "li@example.cn", "--label", "chrome")
    assert key.startswith("cpk_") and "\n" not in key

    engine = make_engine(cli_db)
    try:
        with session_factory(engine).begin() as session:
            principal = authenticate_api_key(session, key)
        assert (principal.org_id, principal.user_id, principal.team_id) == (
            org_id,
            user_id,
            team_id,
        )
        run("keys", "revoke", key.split("_")[1])
        with session_factory(engine).begin() as session:
            with pytest.raises(Exception, match="invalid API key"):
                authenticate_api_key(session, key)
    finally:
        engine.dispose()
    assert run("audit", "verify", "--org", org_id).startswith("ok: 3 records")


def test_mistakes_are_one_line_errors(cli_db: str) -> None:
    run("db", "upgrade")
    run("orgs", "create", "华东公司")
    cases = [
        (["teams", "create", "一组", "--org", "nope"], "no org"),
        (
            ["users", "create", "--org", "华东公司", "--name", "x", "--email", "x@e.cn"]
            + ["--role", "boss"],
            "role must be one of",
        ),
        (["keys", "create", "--user", "nobody@e.cn"], "no user"),
        (["keys", "revoke", "0123456789abcdef"], "no API key"),
    ]
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, args
        assert message in result.stderr and "Traceback" not in result.output


def test_an_orgs_policy_is_set_from_the_command_line(cli_db: str) -> None:
    run("db", "upgrade")
    run("orgs", "create", "华东公司")
    run("orgs", "policy", "华东公司", "--max-discount-off", "0.2")
    answer = run(
        "orgs", "policy", "华东公司", "--max-upload-minutes", "90", "--retention-days", "180"
    )
    assert json.loads(answer) == {
        "max_discount_off": 0.2,
        "max_upload_minutes": 90,
        "retention_days": 180,
    }
    refused = runner.invoke(app, ["orgs", "policy", "华东公司", "--retention-days", "0"])
    assert refused.exit_code != 0
