"""Server-side dashboard sessions: logout ends them, failed sign-ins are audited, login
tokens work once. On SQLite and PostgreSQL, through the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copilot.dashboard import session as cookies
from copilot.service.pipeline import Engines
from copilot.store import audit
from copilot.store.keys import parse_key
from copilot.store.models import DashboardSessionRecord, utcnow

from .conftest import World, client_for, csrf_in, login


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def _reuse(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(cookies.COOKIE_NAME, value, domain="testserver.local", path="/dashboard")


def test_logout_ends_the_session_for_a_saved_copy_of_the_cookie(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    csrf = login(client, world.keys["王经理"])
    saved = client.cookies.get(cookies.COOKIE_NAME)
    assert saved
    with db() as session:
        (row,) = session.scalars(select(DashboardSessionRecord)).all()
        assert row.user_id == world.manager_a.id and row.revoked_at is None
        assert row.expires_at > utcnow()
    out = client.post("/dashboard/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    _reuse(client, saved)  # the cookie someone copied before the logout
    answer = client.get("/dashboard/flags", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/dashboard/login")
    with db() as session:
        assert session.scalars(select(DashboardSessionRecord)).one().revoked_at is not None
        actions = [r.action for r in audit.recent(session, world.org_id)]
    assert "dashboard.logout" in actions


def test_a_session_revoked_on_the_server_stops_at_once(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    login(client, world.keys["孙管理员"])
    assert client.get("/dashboard/flags").status_code == 200
    with db.begin() as session:
        row = session.scalars(select(DashboardSessionRecord)).one()
        assert cookies.revoke(session, row.id)
    assert client.get("/dashboard/flags", follow_redirects=False).status_code == 303


def test_the_login_forms_token_works_once(client: TestClient, world: World) -> None:
    form = client.get("/dashboard/login")
    token = csrf_in(form.text)
    key = world.keys["王经理"]
    wrong = client.post(
        "/dashboard/login",
        data={"api_key": key[:-1] + "x", "csrf_token": token},
        follow_redirects=False,
    )
    assert wrong.status_code == 401
    # Replaying the first form (its cookie and token) is refused even with the right key.
    client.cookies.set(
        cookies.LOGIN_COOKIE_NAME,
        form.cookies[cookies.LOGIN_COOKIE_NAME],
        domain="testserver.local",
        path="/dashboard",
    )
    replay = client.post(
        "/dashboard/login", data={"api_key": key, "csrf_token": token}, follow_redirects=False
    )
    assert replay.status_code == 403 and "页面已过期" in replay.text
    assert cookies.COOKIE_NAME not in replay.cookies


def test_failed_sign_ins_are_audited_without_the_secret(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    key = world.keys["王经理"]
    bad = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    form = client.get("/dashboard/login")
    answer = client.post(
        "/dashboard/login", data={"api_key": bad, "csrf_token": csrf_in(form.text)}
    )
    assert answer.status_code == 401
    rep_form = client.get("/dashboard/login")
    rep_key = world.keys["李销售"]
    refused = client.post(
        "/dashboard/login", data={"api_key": rep_key, "csrf_token": csrf_in(rep_form.text)}
    )
    assert refused.status_code == 403
    with db() as session:
        failed = [
            r for r in audit.recent(session, world.org_id) if r.action == "dashboard.login_failed"
        ]
    by_user = {r.subject_id: r.detail for r in failed}
    assert by_user[world.manager_a.id]["reason"] == "invalid_key"
    assert by_user[world.manager_a.id]["key_id"] == parse_key(key).key_id  # type: ignore[union-attr]
    assert by_user[world.rep_a1.id]["reason"] == "role"
    stored = json.dumps([r.detail for r in failed])
    for secret in (bad, key, rep_key):
        assert parse_key(secret) is None or parse_key(secret).secret not in stored  # type: ignore[union-attr]
