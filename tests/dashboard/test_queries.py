"""What the pages read, on SQLite and PostgreSQL: visibility, counts, the summary, days."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from copilot.dashboard import queries
from copilot.dashboard.filters import FlagFilter
from copilot.store import repo

from .conftest import World, add_flag


def _populate(session: Session, world: World) -> None:
    add_flag(session, world.rep_a1)
    add_flag(session, world.rep_a1, match="业内第一", category="absolute_claim", severity="medium")
    add_flag(session, world.rep_a2, category="guarantee", severity="low", source="speech")
    add_flag(session, world.manager_a, match="业内第一", category="absolute_claim")
    add_flag(session, world.rep_b, category="guarantee", severity="high")
    add_flag(session, world.other_rep)


def test_each_viewer_counts_only_what_they_may_see(db: sessionmaker[Session], world: World) -> None:
    with db.begin() as session:
        _populate(session, world)
    with db() as session:
        every = FlagFilter()
        seen = {
            name: queries.count_flags(session, world.who(user), every)
            for name, user in [
                ("manager_a", world.manager_a),
                ("manager_b", world.manager_b),
                ("admin", world.admin),
                ("other", world.other_manager),
                ("rep", world.rep_a1),
            ]
        }
        assert seen == {"manager_a": 4, "manager_b": 1, "admin": 5, "other": 1, "rep": 2}
        users = queries.org_users(session, world.org_id)
        names = {u.name for u in queries.visible_reps(world.who(world.manager_a), users)}
        assert names == {"王经理", "李销售", "赵销售"}
        assert len(queries.visible_reps(world.who(world.admin), users)) == 6
        assert queries.org_users(session, world.other_org_id).keys().isdisjoint(users)


def test_counts_and_summary_agree_with_the_listing(db: sessionmaker[Session], world: World) -> None:
    with db.begin() as session:
        _populate(session, world)
    manager = world.who(world.manager_a)
    filters = [
        FlagFilter(),
        FlagFilter(category="guarantee"),
        FlagFilter(severity="medium"),
        FlagFilter(rep=world.rep_a1.id, status="open"),
        FlagFilter(rep=world.rep_b.id),  # another team's rep: nothing, not an error
        FlagFilter(date_from=date(2000, 1, 1), date_to=date(2999, 1, 1)),
    ]
    with db() as session:
        for flag_filter in filters:
            listed = repo.list_flags(session, manager, **flag_filter.repo_kwargs())
            assert queries.count_flags(session, manager, flag_filter) == len(listed)
            summary = queries.rep_summary(session, manager, flag_filter)
            assert sum(row.total for row in summary) == len(listed)
            assert len(list(queries.iter_flags(session, manager, flag_filter))) == len(listed)
        summary = queries.rep_summary(session, manager, FlagFilter())
    top = summary[0]
    assert top.rep_id == world.rep_a1.id and top.total == 2
    assert top.by_severity == {"high": 1, "medium": 1}
    assert top.by_category == {"guarantee": 1, "absolute_claim": 1}


def test_days_are_china_days_with_both_ends_included(
    db: sessionmaker[Session], world: World
) -> None:
    def utc(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2025, 5, day, hour, minute, tzinfo=UTC)

    with db.begin() as session:
        before = add_flag(session, world.rep_a1, created_at=utc(1, 15, 59))
        first = add_flag(session, world.rep_a1, created_at=utc(1, 16, 0))  # 2 May 00:00 CST
        last = add_flag(session, world.rep_a1, created_at=utc(3, 15, 59))  # 3 May 23:59 CST
        after = add_flag(session, world.rep_a1, created_at=utc(3, 16, 0))  # 4 May 00:00 CST
    window = FlagFilter(date_from=date(2025, 5, 2), date_to=date(2025, 5, 3))
    with db() as session:
        found = {f.id for f in queries.flag_page(session, world.who(world.admin), window, 1)}
    assert found == {first.id, last.id}
    assert before.id not in found and after.id not in found


def test_pages_and_the_audit_trail(db: sessionmaker[Session], world: World) -> None:
    with db.begin() as session:
        for _ in range(55):
            add_flag(session, world.rep_a2)
    admin = world.who(world.admin)
    with db() as session:
        first = queries.flag_page(session, admin, FlagFilter(), 1)
        second = queries.flag_page(session, admin, FlagFilter(), 2)
        assert (len(first), len(second)) == (50, 5)
        assert not {f.id for f in first} & {f.id for f in second}
        records, total = queries.audit_page(session, admin, 1)
        assert total > 55 and len(records) == 50
        assert records[0].id > records[-1].id  # newest first
        history = queries.flag_history(session, first[0])
        assert [r.action for r in history] == ["flag.created"]
