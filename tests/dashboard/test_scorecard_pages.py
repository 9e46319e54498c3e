"""The scorecard disputes queue over the real app (SQLite and PostgreSQL): a manager sees
and decides only their team's open disputes, with a CSRF-checked form; the call's card data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copilot.dashboard.scorecard_pages import scorecard_card
from copilot.service.pipeline import Engines
from copilot.store import repo, scorecards
from copilot.store.models import AuditRecord, Call, User

from .conftest import World, client_for, login

LINES = [
    ("rep", "您好，我是云帆科技的小王，本次通话会被录音。"),
    ("customer", "预算不多，老板拍板。"),
    ("rep", "好的，我下周把方案发您。"),
]


def disputed_call(db: sessionmaker[Session], rep: User, reason: str) -> str:
    """An ended, scored call of ``rep`` whose budget item the rep disputes."""
    with db.begin() as session:
        call = repo.create_call(session, org_id=rep.org_id, rep_id=rep.id, source="transcript",
                                customer_name="云帆连锁", status="ended")  # fmt: skip
        for i, (speaker, text) in enumerate(LINES):
            repo.add_segment(session, call.id, segment_id=f"seg-{i + 1:04d}", speaker=speaker,
                             start=i * 2.0, end=i * 2.0 + 1.5, text=text)  # fmt: skip
        scorecards.score_call(session, call)
        scorecards.dispute(session, call, World.who(None, rep), "budget", reason)  # type: ignore[arg-type]
        return call.id


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def test_the_queue_is_the_teams_and_a_decision_is_audited(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    mine = disputed_call(db, world.rep_a1, "我问过预算，是识别错了")
    theirs = disputed_call(db, world.rep_b, "二组的申诉")
    elsewhere = disputed_call(db, world.other_rep, "别家的申诉")
    csrf = login(client, world.keys["王经理"], "/dashboard/scorecards")
    queue = client.get("/dashboard/scorecards").text
    assert "我问过预算，是识别错了" in queue and f"dispute-{mine}-budget" in queue
    assert "二组的申诉" not in queue and "别家的申诉" not in queue
    # Another team's or org's call: 404, whatever the form says.
    for call_id in (theirs, elsewhere):
        answer = client.post(
            f"/dashboard/scorecards/{call_id}/budget/decide",
            data={"csrf_token": csrf, "verdict": "accept"},
            follow_redirects=False,
        )
        assert answer.status_code == 404
    forged = client.post(
        f"/dashboard/scorecards/{mine}/budget/decide",
        data={"csrf_token": "forged", "verdict": "accept"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    done = client.post(
        f"/dashboard/scorecards/{mine}/budget/decide",
        data={
            "csrf_token": csrf,
            "verdict": "reject",
            "comment": "录音里没问",
            "back": "/dashboard/scorecards",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/scorecards"
    assert "我问过预算，是识别错了" not in client.get("/dashboard/scorecards").text
    again = client.post(
        f"/dashboard/scorecards/{mine}/budget/decide",
        data={"csrf_token": csrf, "verdict": "accept"},
        follow_redirects=False,
    )
    assert again.status_code == 409
    with db() as session:
        record = session.scalar(
            select(AuditRecord).where(
                AuditRecord.subject_id == mine, AuditRecord.action == "scorecard.decided"
            )
        )
        assert record is not None and record.actor_id == world.manager_a.id
        assert record.detail["accepted"] is False and record.detail["comment"] == "录音里没问"
        call = session.get(Call, mine)
        assert call is not None
        card = scorecard_card(session, world.who(world.manager_a), call)
    budget = next(item for item in card.items if item.key == "budget")
    assert (budget.passed, budget.dispute, budget.decidable) == (False, "rejected", False)
    assert card.score == 60 and card.missed_must_say == []
    intro = next(item for item in card.items if item.key == "self_intro")
    assert intro.evidence_segment_id == "seg-0001"


def test_the_admin_sees_the_orgs_disputes_and_a_rep_cannot_sign_in(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    disputed_call(db, world.rep_a1, "一组的申诉")
    disputed_call(db, world.rep_b, "二组的申诉")
    login(client, world.keys["孙管理员"], "/dashboard/scorecards")
    queue = client.get("/dashboard/scorecards").text
    assert "一组的申诉" in queue and "二组的申诉" in queue
    assert queue.count('class="sc-decide"') == 2


def test_the_call_page_shows_the_card_and_decides_from_it(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    mine = disputed_call(db, world.rep_a1, "我问过预算")
    csrf = login(client, world.keys["王经理"], f"/dashboard/calls/{mine}")
    shown = client.get(f"/dashboard/calls/{mine}").text
    assert 'id="scorecard"' in shown and 'data-item="budget" data-passed="false"' in shown
    assert '<a class="sc-evidence" href="#seg-seg-0001">' in shown  # 自报家门, jumps to the line
    back = f"/dashboard/calls/{mine}#scorecard"
    assert f'name="back" value="{back}"' in shown and "申诉：我问过预算" in shown
    done = client.post(
        f"/dashboard/scorecards/{mine}/budget/decide",
        data={"csrf_token": csrf, "verdict": "accept", "back": back},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == back
    after = client.get(f"/dashboard/calls/{mine}").text
    assert 'data-item="budget" data-passed="true"' in after and "申诉已采纳" in after
    assert 'class="sc-decide"' not in after
