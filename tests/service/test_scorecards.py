"""Scorecards over HTTP against the real service: a scripted call is scored when its
summary is stored and its events tick the checklist; the rep disputes, the manager decides
(both audited); other teams and orgs get 404."""

from __future__ import annotations

import httpx
from pydantic import TypeAdapter
from sqlalchemy import select

from copilot.events import AnyEvent, ScorecardItemEvent
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, CallEvent
from tests.service.conftest import Service
from tests.service.test_http import wait_for_summary

TURNS = [
    ["rep", "您好，我是云帆科技的小王，本次通话会被录音。"],
    ["customer", "你好，你们这个系统多少钱？"],
    ["rep", "想先了解一下您这边的预算范围"],
    ["customer", "这个要我们老板拍板。"],
    ["rep", "明白，您好，我是云帆科技的小王"],
]
EVENTS = TypeAdapter(AnyEvent)


def _client(service: Service, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_a_scripted_call_is_scored_disputed_and_decided(service: Service) -> None:
    engine = make_engine(service.settings.database.url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        demo = repo.ensure_demo_tenant(session)
        team_b = repo.create_team(session, demo.org.id, "二组")
        boss_b = repo.create_user(
            session, demo.org.id, name="乙经理", email="mb@demo.example", role="manager",
            team_id=team_b.id,
        )  # fmt: skip
        _, boss_b_key = repo.create_api_key(session, boss_b, label="test")
        other = repo.create_org(session, "别家")
        admin_x = repo.create_user(session, other.id, name="x", email="x@x.cn", role="admin")
        _, other_key = repo.create_api_key(session, admin_x, label="test")
    with _client(service, demo.rep_key) as rep:
        items = rep.get("/v1/scorecard/items").json()
        assert [i["label"] for i in items["items"]][:2] == ["录音告知", "自报家门"]
        assert items["remind_after_s"] == 300
        call_id = rep.post("/v1/calls", json={"turns": TURNS}).json()["call_id"]
        wait_for_summary(rep, call_id)
        card = rep.get(f"/v1/calls/{call_id}/scorecard").json()
        got = {
            i["key"]: (i["passed"], (i["evidence"] or {}).get("segment_id")) for i in card["items"]
        }
        assert got == {
            "recording_notice": (True, "t1"),
            "self_intro": (True, "t1"),
            "budget": (True, "t3"),
            "decision_maker": (False, None),  # only the customer said 拍板
            "next_step": (False, None),
        }
        assert (card["scored"], card["score"], card["passed"], card["total"]) == (True, 60, 3, 5)
        disputed = rep.post(
            f"/v1/calls/{call_id}/scorecard/next_step/dispute", json={"reason": "我最后约了下周"}
        )
        assert disputed.status_code == 200 and disputed.json()["dispute"]["state"] == "open"
        again = rep.post(f"/v1/calls/{call_id}/scorecard/next_step/dispute", json={"reason": "x"})
        assert again.status_code == 409
        # A rep decides nothing, not even on their own call.
        assert (
            rep.post(
                f"/v1/calls/{call_id}/scorecard/next_step/decide", json={"accept": True}
            ).status_code
            == 403
        )
    for key in (boss_b_key, other_key):  # another team's manager, another org's admin
        with _client(service, key) as outsider:
            assert outsider.get(f"/v1/calls/{call_id}/scorecard").status_code == 404
            answer = outsider.post(
                f"/v1/calls/{call_id}/scorecard/next_step/decide", json={"accept": True}
            )
            assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    with _client(service, demo.manager_key) as manager:
        decided = manager.post(
            f"/v1/calls/{call_id}/scorecard/next_step/decide",
            json={"accept": True, "comment": "录音里有"},
        ).json()
        assert decided["passed"] is True and decided["dispute"]["state"] == "accepted"
        card = manager.get(f"/v1/calls/{call_id}/scorecard").json()
        assert card["score"] == 80
    with sessions() as session:
        actions = list(
            session.execute(
                select(AuditRecord.action, AuditRecord.actor_id)
                .where(AuditRecord.subject_id == call_id, AuditRecord.action.like("scorecard.%"))
                .order_by(AuditRecord.id)
            )
        )
        assert actions == [
            ("scorecard.disputed", demo.rep.id),
            ("scorecard.decided", demo.manager.id),
        ]
        events = [
            EVENTS.validate_python(payload)
            for payload in session.scalars(
                select(CallEvent.payload)
                .where(CallEvent.call_id == call_id)
                .order_by(CallEvent.seq)
            )
        ]
    ticks = [e for e in events if isinstance(e, ScorecardItemEvent)]
    # Once per item, from the first rep segment that said it (t5 repeats t1).
    assert [(e.key, e.segment_id, e.must_say) for e in ticks] == [
        ("recording_notice", "t1", True),
        ("self_intro", "t1", True),
        ("budget", "t3", False),
    ]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    engine.dispose()
