"""A small populated tenant world for the store tests (on both databases via db_session)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from copilot.auth import Principal, principal_for
from copilot.store import repo
from copilot.store.models import Org, Team, User


@dataclass
class World:
    """Org 华东: team A (manager + two reps), team B (one rep), an admin, an integration
    user. Org 华南: one rep. Nothing committed: each test owns its session."""

    org: Org
    team_a: Team
    team_b: Team
    manager_a: User
    rep_a1: User
    rep_a2: User
    rep_b: User
    admin: User
    integration: User
    other_org: Org
    other_rep: User

    def who(self, user: User) -> Principal:
        return principal_for(user)


@pytest.fixture
def world(db_session: Session) -> World:
    s = db_session
    org = repo.create_org(s, "华东公司")
    team_a = repo.create_team(s, org.id, "一组")
    team_b = repo.create_team(s, org.id, "二组")

    def user(org_id: str, name: str, role: str, team: Team | None = None) -> User:
        return repo.create_user(
            s,
            org_id,
            name=name,
            email=f"{name}@example.cn",
            role=role,
            team_id=team.id if team else None,
        )

    other = repo.create_org(s, "华南公司")
    world = World(
        org=org,
        team_a=team_a,
        team_b=team_b,
        manager_a=user(org.id, "manager-a", "manager", team_a),
        rep_a1=user(org.id, "rep-a1", "rep", team_a),
        rep_a2=user(org.id, "rep-a2", "rep", team_a),
        rep_b=user(org.id, "rep-b", "rep", team_b),
        admin=user(org.id, "admin", "admin"),
        integration=user(org.id, "crm-bot", "integration"),
        other_org=other,
        other_rep=user(other.id, "rep-x", "rep"),
    )
    s.commit()
    return world
