"""Who sees which calls and flags: rep own, manager team, admin/integration org, never
another org — and "not yours" looks exactly like "not found"."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from copilot.auth import Forbidden, can_see_call, require_role
from copilot.store import repo
from copilot.store.models import Call, Flag, User

from .conftest import World


def _call(s: Session, rep: User) -> Call:
    return repo.create_call(s, org_id=rep.org_id, rep_id=rep.id, source="stream")


def _flag(s: Session, rep: User) -> Flag:
    return repo.add_flag(
        s, org_id=rep.org_id, rep_id=rep.id, source="message", text="保证不涨价",
        rule_id="guarantee", category="promise", severity="high", start=0, end=4,
        match="保证不涨价",
    )  # fmt: skip


@pytest.fixture
def calls(db_session: Session, world: World) -> dict[str, Call]:
    made = {
        name: _call(db_session, getattr(world, name))
        for name in ("rep_a1", "rep_a2", "rep_b", "manager_a", "other_rep")
    }
    db_session.commit()
    return made


def _visible(s: Session, world: World, user: User) -> set[str]:
    return {c.id for c in repo.list_visible_calls(s, world.who(user))}


def test_each_role_sees_its_share_of_calls(
    db_session: Session, world: World, calls: dict[str, Call]
) -> None:
    s = db_session
    ids = {name: call.id for name, call in calls.items()}
    assert _visible(s, world, world.rep_a1) == {ids["rep_a1"]}
    assert _visible(s, world, world.manager_a) == {ids["rep_a1"], ids["rep_a2"], ids["manager_a"]}
    org_wide = {ids[n] for n in ("rep_a1", "rep_a2", "rep_b", "manager_a")}
    assert _visible(s, world, world.admin) == org_wide
    assert _visible(s, world, world.integration) == org_wide
    assert _visible(s, world, world.other_rep) == {ids["other_rep"]}


def test_not_yours_is_the_same_answer_as_not_found(
    db_session: Session, world: World, calls: dict[str, Call]
) -> None:
    s = db_session
    rep = world.who(world.rep_a1)
    assert repo.get_visible_call(s, rep, calls["rep_a1"].id) is not None
    for name in ("rep_a2", "rep_b", "other_rep"):
        assert repo.get_visible_call(s, rep, calls[name].id) is None
    assert repo.get_visible_call(s, rep, "no-such-call") is None
    admin_elsewhere = world.who(world.admin)
    assert repo.get_visible_call(s, admin_elsewhere, calls["other_rep"].id) is None


def test_the_python_check_agrees_with_the_query(
    db_session: Session, world: World, calls: dict[str, Call]
) -> None:
    users = [world.rep_a1, world.rep_a2, world.rep_b, world.manager_a, world.admin]
    users += [world.integration, world.other_rep]
    teams = {u.id: u.team_id for u in [*users]}
    for viewer in users:
        principal = world.who(viewer)
        expected = _visible(db_session, world, viewer)
        seen = {c.id for c in calls.values() if can_see_call(principal, c, teams[c.rep_id])}
        assert seen == expected, viewer.name


def test_a_manager_without_a_team_sees_only_their_own(db_session: Session, world: World) -> None:
    lone = repo.create_user(
        db_session, world.org.id, name="lone", email="lone@example.cn", role="manager"
    )
    own = _call(db_session, lone)
    _call(db_session, world.rep_a1)
    assert _visible(db_session, world, lone) == {own.id}


def test_flags_follow_the_same_rules(db_session: Session, world: World) -> None:
    s = db_session
    flags = {u.name: _flag(s, u) for u in (world.rep_a1, world.rep_b, world.other_rep)}

    def seen(user: User) -> set[str]:
        return {f.id for f in repo.list_flags(s, world.who(user))}

    assert seen(world.rep_a1) == {flags["rep-a1"].id}
    assert seen(world.manager_a) == {flags["rep-a1"].id}
    assert seen(world.admin) == {flags["rep-a1"].id, flags["rep-b"].id}
    assert seen(world.other_rep) == {flags["rep-x"].id}
    assert repo.get_flag(s, world.who(world.rep_a1), flags["rep-b"].id) is None
    assert repo.get_flag(s, world.who(world.admin), flags["rep-x"].id) is None


def test_roles_are_checked_by_name() -> None:
    from copilot.auth import Principal

    rep = Principal(org_id="o", user_id="u", role="rep")
    require_role(rep, "rep", "manager")
    with pytest.raises(Forbidden, match="manager or admin"):
        require_role(rep, "manager", "admin")


def test_users_cannot_join_teams_of_other_orgs_or_take_made_up_roles(
    db_session: Session, world: World
) -> None:
    with pytest.raises(repo.InvalidInput, match="not a team of org"):
        repo.create_user(
            db_session, world.other_org.id, name="x", email="x@example.cn", role="rep",
            team_id=world.team_a.id,
        )  # fmt: skip
    with pytest.raises(repo.InvalidInput, match="role must be one of"):
        repo.create_user(db_session, world.org.id, name="x", email="x@e.cn", role="boss")
    with pytest.raises(repo.InvalidInput, match="already has a user"):
        repo.create_user(db_session, world.org.id, name="x", email="REP-A1@example.cn", role="rep")
    with pytest.raises(repo.InvalidInput, match="not a member"):
        repo.create_call(
            db_session, org_id=world.org.id, rep_id=world.other_rep.id, source="stream"
        )


def test_orgs_teams_and_users_are_found_by_id_or_name(db_session: Session, world: World) -> None:
    s = db_session
    assert repo.find_org(s, "华东公司").id == world.org.id
    assert repo.find_org(s, world.org.id).id == world.org.id
    assert repo.find_team(s, world.org.id, "一组").id == world.team_a.id
    assert repo.find_user(s, "rep-a1@example.cn").id == world.rep_a1.id
    with pytest.raises(repo.NotFound):
        repo.find_team(s, world.other_org.id, world.team_a.id)  # exists, but not in that org
    repo.create_org(s, "华东公司")
    with pytest.raises(repo.InvalidInput, match="give the id"):
        repo.find_org(s, "华东公司")
    team_a = repo.list_users(s, world.org.id, team_id=world.team_a.id)
    assert sorted(u.name for u in team_a) == ["manager-a", "rep-a1", "rep-a2"]
