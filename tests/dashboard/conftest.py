"""The dashboard over the real app: real database (SQLite, and PostgreSQL via ``db_url``),
real compliance engines, the dashboard driven through FastAPI's TestClient.

Two orgs: 华东 with team A (manager A, reps A1 and A2), team B (manager B, rep B) and an
admin; 华南 with its own manager and rep. Everyone who signs in has an API key.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from copilot.auth import AuthConfig, Principal, principal_for
from copilot.service.app import build_engines, create_app
from copilot.service.config import ServiceConfig
from copilot.service.pipeline import Engines
from copilot.settings import Settings
from copilot.store import repo
from copilot.store.db import DatabaseConfig, make_engine, session_factory
from copilot.store.models import Flag, User
from retrieval import RetrievalConfig
from retrieval.config import ChromaConfig

AUTH_SECRET = "dashboard-test-secret-0123456789abcdef"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    org_id: str
    other_org_id: str
    manager_a: User
    rep_a1: User
    rep_a2: User
    manager_b: User
    rep_b: User
    admin: User
    other_manager: User
    other_rep: User
    keys: dict[str, str]  # user name → plaintext API key

    def who(self, user: User) -> Principal:
        return principal_for(user)


def make_world(session: Session) -> World:
    org = repo.create_org(session, "华东公司")
    team_a = repo.create_team(session, org.id, "一组")
    team_b = repo.create_team(session, org.id, "二组")
    other = repo.create_org(session, "华南公司")
    other_team = repo.create_team(session, other.id, "南一组")
    keys: dict[str, str] = {}

    def user(org_id: str, name: str, role: str, team_id: str | None) -> User:
        row = repo.create_user(
            session, org_id, name=name, email=f"user{len(keys)}@example.cn", role=role,
            team_id=team_id,
        )  # fmt: skip
        keys[name] = repo.create_api_key(session, row)[1]
        return row

    world = World(
        org_id=org.id,
        other_org_id=other.id,
        manager_a=user(org.id, "王经理", "manager", team_a.id),
        rep_a1=user(org.id, "李销售", "rep", team_a.id),
        rep_a2=user(org.id, "赵销售", "rep", team_a.id),
        manager_b=user(org.id, "陈经理", "manager", team_b.id),
        rep_b=user(org.id, "周销售", "rep", team_b.id),
        admin=user(org.id, "孙管理员", "admin", None),
        other_manager=user(other.id, "吴经理", "manager", other_team.id),
        other_rep=user(other.id, "郑销售", "rep", other_team.id),
        keys=keys,
    )
    session.flush()
    return world


def add_flag(
    session: Session,
    rep: User,
    *,
    text: str = "我们保证三天上线，这是业内第一的方案",
    match: str = "保证",
    category: str = "guarantee",
    severity: str = "high",
    source: str = "message",
    suggestion: str = "我们会尽力在三天内上线",
    created_at: datetime | None = None,
) -> Flag:
    start = text.find(match)
    flag = repo.add_flag(
        session, org_id=rep.org_id, rep_id=rep.id, source=source, text=text,
        rule_id=f"{category}.test", category=category, severity=severity,
        start=max(start, 0), end=max(start, 0) + len(match), match=match, suggestion=suggestion,
    )  # fmt: skip
    if created_at is not None:
        flag.created_at = created_at
        session.flush()
    return flag


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def world(db: sessionmaker[Session]) -> World:
    with db.begin() as session:
        return make_world(session)


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """The real scanner and extractor; the suggester is never asked by these pages."""
    retrieval = RetrievalConfig(chroma=ChromaConfig(path=tmp_path_factory.mktemp("chroma")))
    return build_engines(Settings(retrieval=retrieval))


def dashboard_settings(db_url: str, data_dir: Path) -> Settings:
    return Settings(
        database=DatabaseConfig(url=db_url),
        service=ServiceConfig(preload_speech=False),
        auth=AuthConfig(
            socket_token_secret=SecretStr(AUTH_SECRET), secret_file=data_dir / "secret"
        ),
    )


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh migrated SQLite database, for HTTP flows that need not run on both."""
    path = tmp_path / "dashboard.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def client_for(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(dashboard_settings(db_url, tmp_path), engines=engines)
    with TestClient(app) as client:
        yield client


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def login(client: TestClient, api_key: str, next_url: str = "/dashboard/flags") -> str:
    """Sign in through the login form; the CSRF token of the first page after it."""
    form = client.get("/dashboard/login", params={"next": next_url})
    answer = client.post(
        "/dashboard/login",
        data={"api_key": api_key, "csrf_token": csrf_in(form.text), "next": next_url},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == next_url
    landing = client.get(next_url)
    assert landing.status_code == 200, landing.text
    return csrf_in(landing.text)
