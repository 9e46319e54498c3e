"""Transcript search through each database's trigram index: what it finds, whom it shows
it to, and that purge, erasure and corrections leave nothing behind in the index."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from copilot.store import repo
from copilot.store.models import Call, Segment, User, utcnow
from copilot.store.retention import erase_number, purge_org
from copilot.store.search import hit_spans, index_in_step, search_segments

from .conftest import World

LINES = [
    ("customer", "我们今年的预算大概五十万，主要看用友的方案"),
    ("rep", "明白，我们的系统可以和用友U8对接"),
    ("customer", "我的手机号是13800138000，有事直接打"),
    ("rep", "好的，本次通话会被录音，请您知悉"),
]


def _call(
    s: Session, rep: User, *, days_ago: int = 0, lines: list[tuple[str, str]] = LINES
) -> Call:
    call = repo.create_call(
        s, org_id=rep.org_id, rep_id=rep.id, source="upload", status="ended",
        started_at=utcnow() - timedelta(days=days_ago),
    )  # fmt: skip
    for i, (speaker, text) in enumerate(lines):
        repo.add_segment(
            s, call.id, segment_id=f"s{i}", speaker=speaker, start=i * 5.0, end=i * 5.0 + 4,
            text=text,
        )  # fmt: skip
    s.flush()
    return call


def test_finds_a_chinese_substring_with_the_hit_spans(db_session: Session, world: World) -> None:
    call = _call(db_session, world.rep_a1)
    hits = search_segments(db_session, world.who(world.admin), "用友U8")
    assert [(h.call_id, h.segment_id) for h in hits] == [(call.id, "s1")]
    assert hits[0].spans == ((11, 15),)
    assert hits[0].text[11:15] == "用友U8"
    # Case does not matter (ASCII), on both databases.
    assert [
        h.segment_id for h in search_segments(db_session, world.who(world.admin), "用友u8")
    ] == ["s1"]
    # Two occurrences of a three-character phrase, in time order across lines.
    assert {
        h.segment_id for h in search_segments(db_session, world.who(world.admin), "预算大")
    } == {"s0"}


def test_queries_under_three_characters_fall_back_and_still_answer(
    db_session: Session, world: World
) -> None:
    _call(db_session, world.rep_a1)
    hits = search_segments(db_session, world.who(world.admin), "用友")
    assert [h.segment_id for h in hits] == ["s0", "s1"]
    assert search_segments(db_session, world.who(world.admin), "录") != []
    # LIKE wildcards are searched for literally.
    assert search_segments(db_session, world.who(world.admin), "%") == []
    assert search_segments(db_session, world.who(world.admin), "_友") == []


def test_quotes_and_operators_are_searched_as_text(db_session: Session, world: World) -> None:
    _call(db_session, world.rep_a1, lines=[("rep", 'he said "OR NOT" AND* quit')])
    admin = world.who(world.admin)
    assert len(search_segments(db_session, admin, '"OR NOT"')) == 1
    assert len(search_segments(db_session, admin, "AND*")) == 1
    assert search_segments(db_session, admin, "NEAR(") == []


def test_only_the_viewers_calls_are_searched(db_session: Session, world: World) -> None:
    mine = _call(db_session, world.rep_a1)
    team_b = _call(db_session, world.rep_b)
    other_org = _call(db_session, world.other_rep)

    def found(user: User) -> set[str]:
        return {h.call_id for h in search_segments(db_session, world.who(user), "用友U8")}

    assert found(world.rep_a1) == {mine.id}
    assert found(world.manager_a) == {mine.id}
    assert found(world.admin) == {mine.id, team_b.id}
    assert found(world.other_rep) == {other_org.id}


def test_purge_and_erasure_leave_nothing_in_the_index(db_session: Session, world: World) -> None:
    s = db_session
    old = _call(s, world.rep_a1, days_ago=400)
    recent = _call(s, world.rep_a1)
    admin = world.who(world.admin)
    assert {h.call_id for h in search_segments(s, admin, "用友U8")} == {old.id, recent.id}
    purge_org(s, world.org.id, utcnow() - timedelta(days=365))
    assert {h.call_id for h in search_segments(s, admin, "用友U8")} == {recent.id}
    # The erased number is masked in the table and gone from the index: searching for it
    # finds nothing (a masked transcript must not answer "was this number said?").
    assert search_segments(s, admin, "13800138000") != []
    erase_number(s, world.org.id, "13800138000")
    assert search_segments(s, admin, "13800138000") == []
    # Masking keeps the last four digits (138****8000), as every page shows them.
    assert search_segments(s, admin, "00138") == []
    assert [h.text for h in search_segments(s, admin, "8000")] == [
        "我的手机号是138****8000，有事直接打"
    ]
    assert index_in_step(s)


def test_a_corrected_line_is_found_by_its_new_words_only(db_session: Session, world: World) -> None:
    s = db_session
    _call(s, world.rep_a1)
    row = s.scalars(select(Segment).where(Segment.segment_id == "s1")).one()
    row.text = "明白，我们的系统可以和金蝶云星空对接"
    s.flush()
    admin = world.who(world.admin)
    assert [h.segment_id for h in search_segments(s, admin, "金蝶云")] == ["s1"]
    assert [h.segment_id for h in search_segments(s, admin, "用友U8")] == []
    s.delete(row)
    s.flush()
    assert search_segments(s, admin, "金蝶云") == []
    assert index_in_step(s)


def test_hit_spans_are_every_occurrence() -> None:
    assert hit_spans("用友用友U8", "用友") == ((0, 2), (2, 4))
    assert hit_spans("ABC abc", "abc") == ((0, 3), (4, 7))
    assert hit_spans("无", "") == ()
