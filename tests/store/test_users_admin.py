"""User administration as an administrator runs it: list, disable/enable, move-team, CSV
import, keys per user — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from copilot.auth import AuthError, authenticate_api_key
from copilot.commands import admin
from copilot.settings import get_settings
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, User

runner = CliRunner()
app = typer.Typer()
admin.register(app)


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database with org 华东公司 (teams 一组, 二组) for the commands."""
    monkeypatch.setenv("COPILOT_DATABASE__URL", db_url)
    get_settings.cache_clear()
    run("orgs", "create", "华东公司")
    run("teams", "create", "一组", "--org", "华东公司")
    run("teams", "create", "二组", "--org", "华东公司")
    yield db_url
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def json_lines(*args: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in run(*args, "--json").splitlines()]


def authenticates(db_url: str, key: str) -> bool:
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            try:
                authenticate_api_key(session, key)
            except AuthError:
                return False
            return True
    finally:
        engine.dispose()


def audit_actions(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with session_factory(engine).begin() as session:
            query = select(AuditRecord.action).order_by(AuditRecord.id)
            return list(session.scalars(query))
    finally:
        engine.dispose()


def add_rep(email: str = "li@example.cn", team: str = "一组") -> str:
    return run(
        "users", "create", "--org", "华东公司", "--name", "李销售", "--email", email,
        "--role", "rep", "--team", team,
    )  # fmt: skip


def test_disabling_a_user_stops_their_keys_and_enabling_restores_them(cli_db: str) -> None:
    add_rep()
    key = run("keys", "create", "--user", "li@example.cn", "--label", "chrome")
    assert authenticates(cli_db, key)

    run("users", "disable", "li@example.cn")
    assert not authenticates(cli_db, key)
    [listed] = json_lines("users", "list", "--org", "华东公司")
    assert listed["active"] is False
    [key_row] = json_lines("keys", "list", "--user", "li@example.cn")
    assert key_row["label"] == "chrome" and key_row["status"] == "user disabled"

    again = runner.invoke(app, ["users", "disable", "li@example.cn"])
    assert again.exit_code == 0 and "already disabled" in again.stderr
    run("users", "enable", "li@example.cn")
    assert authenticates(cli_db, key)
    assert audit_actions(cli_db)[-2:] == ["user.disabled", "user.enabled"]
    assert run("audit", "verify", "--org", "华东公司").startswith("ok:")


def test_users_and_keys_are_listed_with_their_state(cli_db: str) -> None:
    user_id = add_rep()
    add_rep("zhao@example.cn", team="二组")
    run("keys", "create", "--user", "li@example.cn", "--label", "chrome")
    revoked = run("keys", "create", "--user", "li@example.cn", "--label", "old")
    run("keys", "revoke", revoked)

    users = json_lines("users", "list", "--org", "华东公司")
    assert [(u["email"], u["team"], u["usable_keys"]) for u in users] == [
        ("li@example.cn", "一组", 1),
        ("zhao@example.cn", "二组", 0),
    ]
    assert users[0]["id"] == user_id and users[0]["active"] is True
    only_b = json_lines("users", "list", "--org", "华东公司", "--team", "二组")
    assert [u["email"] for u in only_b] == ["zhao@example.cn"]

    keys = json_lines("keys", "list", "--user", user_id)
    assert sorted((k["label"], k["status"]) for k in keys) == [
        ("chrome", "active"),
        ("old", "revoked"),
    ]
    assert all("secret" not in json.dumps(k) and "cpk_" not in json.dumps(k) for k in keys)
    table = run("users", "list", "--org", "华东公司")
    assert "li@example.cn" in table and "二组" in table


def test_move_team_changes_the_team_and_is_audited(cli_db: str) -> None:
    add_rep()
    run("users", "move-team", "li@example.cn", "--team", "二组")
    [user] = json_lines("users", "list", "--org", "华东公司")
    assert user["team"] == "二组"
    run("users", "move-team", "li@example.cn", "--no-team")
    [user] = json_lines("users", "list", "--org", "华东公司")
    assert user["team"] is None
    assert audit_actions(cli_db)[-2:] == ["user.team_changed", "user.team_changed"]

    for args, message in [
        (["--team", "三组"], "no team"),
        ([], "--team TEAM or --no-team"),
        (["--team", "一组", "--no-team"], "--team TEAM or --no-team"),
    ]:
        result = runner.invoke(app, ["users", "move-team", "li@example.cn", *args])
        assert result.exit_code == 1 and message in result.stderr, result.output


CSV_OK = """email,name,role,team
li@example.cn,李销售,rep,一组
wang@example.cn,王经理,manager,一组
sun@example.cn,孙管理员,admin,
"""


def test_csv_import_is_idempotent_and_updates_what_changed(cli_db: str, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    first = run("users", "import", str(path), "--org", "华东公司")
    assert [line.split("\t")[0] for line in first.splitlines()] == ["created"] * 3
    again = runner.invoke(app, ["users", "import", str(path), "--org", "华东公司"])
    assert again.exit_code == 0
    assert [line.split("\t")[0] for line in again.stdout.splitlines()] == ["unchanged"] * 3
    assert "0 created, 0 updated, 3 unchanged" in again.stderr
    assert audit_actions(cli_db).count("user.created") == 3

    # Excel's UTF-8 CSV starts with a byte-order mark; the rep became a manager in 二组.
    path.write_text("\ufeff" + CSV_OK.replace("李销售,rep,一组", "李销售,manager,二组"))
    third = run("users", "import", str(path), "--org", "华东公司")
    assert [line.split("\t")[0] for line in third.splitlines()] == [
        "updated",
        "unchanged",
        "unchanged",
    ]
    users = {u["email"]: u for u in json_lines("users", "list", "--org", "华东公司")}
    assert (users["li@example.cn"]["role"], users["li@example.cn"]["team"]) == ("manager", "二组")
    assert users["sun@example.cn"]["team"] is None
    assert run("audit", "verify", "--org", "华东公司").startswith("ok:")


def test_csv_import_with_bad_lines_names_each_and_imports_nothing(
    cli_db: str, tmp_path: Path
) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "email,name,role,team\n"
        "li@example.cn,李销售,rep,一组\n"  # line 2: fine
        "not-an-email,张三,rep,一组\n"  # line 3
        "zhao@example.cn,赵销售,boss,一组\n"  # line 4
        "li@example.cn,李销售,rep,一组\n"  # line 5: duplicate
        "qian@example.cn,钱销售,rep,三组\n"  # line 6: no such team
        "\n"
        "sun@example.cn,,admin,\n"  # line 8: no name
        "wu@example.cn,吴\x00销售,rep,一组\n",  # line 9: NUL, which PostgreSQL cannot store
        encoding="utf-8",
    )
    result = runner.invoke(app, ["users", "import", str(path), "--org", "华东公司"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    for number, message in [
        (3, "not an email"),
        (4, "role must be one of"),
        (5, "already on line 2"),
        (6, "no team"),
        (8, "name is empty"),
        (9, "name: holds a NUL character (U+0000) at character 1"),
    ]:
        assert any(f"line {number}: " in line and message in line for line in lines), lines
    assert not any("line 2:" in line for line in lines)
    assert lines[-1].startswith("error: ") and "nothing was imported" in lines[-1]
    assert json_lines("users", "list", "--org", "华东公司") == []

    for content, message in [
        ("name,role\nx,rep\n", "line 1: the header must name"),
        ("email,name,role,team\na@b.cn,甲,rep,一组,extra\n", "line 2: more fields"),
    ]:
        path.write_text(content, encoding="utf-8")
        bad = runner.invoke(app, ["users", "import", str(path), "--org", "华东公司"])
        assert bad.exit_code == 1 and message in bad.stderr, bad.output
    path.write_bytes("email,name,role\nli@example.cn,李销售,rep\n".encode("gbk"))
    gbk = runner.invoke(app, ["users", "import", str(path), "--org", "华东公司"])
    assert gbk.exit_code == 1 and "not UTF-8" in gbk.stderr
    path.write_text("email,name,role\nli@example.cn," + "长" * 200_000 + ",rep\n", encoding="utf-8")
    huge = runner.invoke(app, ["users", "import", str(path), "--org", "华东公司"])
    assert huge.exit_code == 1
    assert "line 2: not readable as CSV (field larger than field limit" in huge.stderr
    folder = runner.invoke(app, ["users", "import", str(tmp_path), "--org", "华东公司"])
    assert folder.exit_code == 1 and f"{tmp_path}: cannot read (Is a directory)" in folder.stderr


def test_set_user_active_leaves_other_orgs_alone(cli_db: str) -> None:
    add_rep()
    run("orgs", "create", "华南公司")
    run(
        "users", "create", "--org", "华南公司", "--name", "李销售", "--email", "li@example.cn",
        "--role", "rep",
    )  # fmt: skip
    ambiguous = runner.invoke(app, ["users", "disable", "li@example.cn"])
    assert ambiguous.exit_code == 1 and "give --org" in ambiguous.stderr
    run("users", "disable", "li@example.cn", "--org", "华南公司")
    engine = make_engine(cli_db)
    try:
        with session_factory(engine).begin() as session:
            states = {(user.email, user.active) for user in session.scalars(select(User))}
    finally:
        engine.dispose()
    assert len(states) == 2 and (("li@example.cn", True) in states)
