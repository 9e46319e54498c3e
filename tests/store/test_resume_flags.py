"""A call resumed after a restart gets its speech flags back with offsets into the segment,
although the stored flag keeps only a window of the segment's text."""

from __future__ import annotations

from sqlalchemy.orm import Session

from copilot.service.recorder import load_progress
from copilot.store import repo
from tests.store.conftest import World


def test_a_flag_far_into_a_long_segment_comes_back_at_its_place(
    db_session: Session, world: World
) -> None:
    rep = world.rep_a1
    call = repo.create_call(db_session, org_id=world.org.id, rep_id=rep.id, source="stream")
    said = "我们的方案很全面。" * 100 + "签了我给您打七折。"
    start = said.index("打七折")
    repo.add_segment(
        db_session, call.id, segment_id="s-1", speaker="rep", start=0.0, end=60.0, text=said
    )
    repo.add_flag(
        db_session,
        org_id=world.org.id,
        rep_id=rep.id,
        source="speech",
        text=said,
        rule_id="unauthorized_discount.over_authority",
        category="unauthorized_discount",
        severity="high",
        start=start,
        end=start + 3,
        match="打七折",
        call_id=call.id,
        segment_id="s-1",
    )
    db_session.flush()

    _, _, flags = load_progress(db_session, call.id)

    assert len(flags) == 1
    flag = flags[0]
    assert flag.evidence.text == said
    assert said[flag.start : flag.end] == "打七折"
