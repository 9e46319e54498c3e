"""Flags over HTTP: a bounded window of huge messages, personal numbers masked (an admin's
reveal is audited), and a manager reads only their team's audit trail."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, Flag
from tests.service.conftest import Service

PHONE = "13912345678"


def _client(service: Service, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def test_flags_are_bounded_masked_and_the_audit_trail_is_team_scoped(service: Service) -> None:
    engine = make_engine(service.settings.database.url)
    with session_factory(engine).begin() as session:
        demo = repo.ensure_demo_tenant(session)
        team_b = repo.create_team(session, demo.org.id, "二组")
        rep_b = repo.create_user(
            session, demo.org.id, name="乙", email="b@demo.example", role="rep", team_id=team_b.id
        )
        _, rep_b_key = repo.create_api_key(session, rep_b, label="test")
        admin = repo.create_user(
            session, demo.org.id, name="管理员", email="admin@demo.example", role="admin"
        )
        _, admin_key = repo.create_api_key(session, admin, label="test")
    with _client(service, demo.rep_key) as http:
        huge = "方案细节。" * 3_000 + "我们保证上线不延期。" + "后续安排。" * 14_000
        assert len(huge.encode()) > 250_000
        assert not http.post("/v1/compliance/scan", json={"text": huge}).json()["compliant"]
        said = f"我们老客户李总的手机是{PHONE}，您可以直接问他。"
        held = http.post("/v1/compliance/scan", json={"text": said}).json()
        privacy_id = next(
            fid
            for f, fid in zip(held["flags"], held["flag_ids"], strict=True)
            if f["category"] == "privacy"
        )
        flags = http.get("/v1/flags").json()
    guarantee = next(f for f in flags if f["category"] == "guarantee")
    assert len(guarantee["text"]) <= 420 and guarantee["text_chars"] == len(huge)
    assert guarantee["text"][guarantee["start"] : guarantee["end"]] == guarantee["match"]
    assert guarantee["text_offset"] > 0
    shown = next(f for f in flags if f["id"] == privacy_id)
    assert shown["masked"] and shown["match"] == "139****5678" and PHONE not in shown["text"]
    with session_factory(engine)() as session:
        stored = session.get(Flag, privacy_id)
        assert stored is not None and len(stored.text) < 500

    with _client(service, rep_b_key) as http:
        http.post("/v1/compliance/scan", json={"text": "我们是业内第一，保证有效。"})
    with _client(service, demo.manager_key) as http:
        assert http.post(f"/v1/flags/{privacy_id}/reveal").status_code == 403
        trail = http.get("/v1/audit").json()
    assert trail["chain"]["ok"]
    subjects = {r["subject_id"] for r in trail["records"]}
    assert privacy_id in subjects and rep_b.id not in subjects and admin.id not in subjects
    with session_factory(engine)() as session:
        b_flags = set(session.scalars(select(Flag.id).where(Flag.rep_id == rep_b.id)))
        org_count = len(session.scalars(
            select(AuditRecord.id).where(AuditRecord.org_id == demo.org.id)).all())  # fmt: skip
    assert b_flags and not b_flags & subjects
    assert PHONE not in str(trail)

    with _client(service, admin_key) as http:
        revealed = http.post(f"/v1/flags/{privacy_id}/reveal").json()
        assert revealed["match"] == PHONE and not revealed["masked"]
        everything = http.get("/v1/audit", params={"limit": 1000}).json()
    assert b_flags <= {r["subject_id"] for r in everything["records"]}
    assert len(everything["records"]) == org_count + 1
    newest = everything["records"][0]
    assert (newest["action"], newest["subject_id"], newest["actor_id"]) == (
        "flag.revealed", privacy_id, admin.id,
    )  # fmt: skip
    assert PHONE not in str(everything)
    engine.dispose()
