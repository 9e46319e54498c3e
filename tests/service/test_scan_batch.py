"""POST /v1/compliance/scan/batch on the real server: many messages in one request, each
answered as a single scan would be, refused ones in their place, flags stored to each rep."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.store import audit, repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, Flag
from copilot.store.tenants import DEMO_ORG_ID, DEMO_REP_ID
from speech.engine import SpeechEngine
from tests.service.conftest import Service, add_demo_manager, service_settings
from tests.service.test_live_faults import WriteOutage

MESSAGES = [
    "方案明天下午发您，有问题随时找我。",
    "我保证上线不延期，再给您打个五折。",
    "我们是行业第一品牌，效果最好，没有之一。",
    "尾款直接转我个人微信就行，开票的事我来处理。",
    "合同按标准条款走，付款汇入合同约定的对公账户。",
    "签了之后给您个人返点百分之五，打到您自己卡上。",
    "",
    "您好，附件是本季度的方案说明。" * 30,
    "别家那个系统就是垃圾，那家公司快倒闭了。",
    "申请年付九折需要走审批，我今天提交。",
]


@pytest.fixture
def small(db_url: str, engines: Engines, speech_engine: SpeechEngine) -> Iterator[Service]:
    """Batches of at most four messages and 2,000 bytes of text; 1,024 bytes a message."""
    settings = service_settings(
        db_url, max_scan_batch=4, max_batch_bytes=2_000, max_text_bytes=1_024
    )
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def client(service: Service, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key or service.rep_key}"}
    return httpx.Client(base_url=service.url, headers=headers, timeout=60)


def batch(http: httpx.Client, messages: list[dict[str, Any]]) -> httpx.Response:
    return http.post("/v1/compliance/scan/batch", json={"messages": messages})


def flag_count(service: Service) -> int:
    engine = make_engine(service.settings.database.url)
    try:
        with engine.connect() as db:
            return int(db.scalar(select(func.count()).select_from(Flag)) or 0)
    finally:
        engine.dispose()


def session_of(service: Service) -> Any:
    return session_factory(make_engine(service.settings.database.url)).begin()


def created_by(session: Any, flag_id: str) -> tuple[str | None, str | None]:
    """Who stored the flag, and the channel recorded with it (its audit record)."""
    record = session.scalars(
        select(AuditRecord).where(
            AuditRecord.action == "flag.created", AuditRecord.subject_id == flag_id
        )
    ).one()
    return record.actor_id, record.detail.get("channel")


def test_each_message_is_answered_in_order_as_a_single_scan_answers_it(service: Service) -> None:
    with client(service) as http:
        answer = batch(http, [{"id": f"m{i}", "text": t} for i, t in enumerate(MESSAGES)])
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [r["id"] for r in results] == [f"m{i}" for i in range(len(MESSAGES))]
        single = [http.post("/v1/compliance/scan", json={"text": t}).json() for t in MESSAGES]
    for one, alone in zip(results, single, strict=True):
        assert {k: one[k] for k in ("compliant", "flags", "truncated")} == {
            k: alone[k] for k in ("compliant", "flags", "truncated")
        }
        assert len(one["flag_ids"]) == len(one["flags"])
    assert [r["compliant"] for r in results] == [
        True, False, False, False, True, False, True, True, False, True,
    ]  # fmt: skip
    categories = {c for r in results for c in (f["category"] for f in r["flags"])}
    assert categories >= {"guarantee", "unauthorized_discount", "absolute_claim", "kickback"}
    # Both the batch's flags and the single scans' were stored, as the rep's.
    with client(service) as http:
        listed = http.get("/v1/flags", params={"limit": 200}).json()
    batch_ids = {i for r in results for i in r["flag_ids"]}
    assert batch_ids <= {f["id"] for f in listed}
    assert {f["rep_id"] for f in listed if f["id"] in batch_ids} == {DEMO_REP_ID}
    assert {f["source"] for f in listed if f["id"] in batch_ids} == {"message"}


def test_a_refused_message_is_answered_in_its_place_and_the_others_are_scanned(
    small: Service,
) -> None:
    with session_of(small) as session:
        other_team = repo.create_team(session, DEMO_ORG_ID, "华南销售二组")
        stranger = repo.create_user(
            session, DEMO_ORG_ID, name="赵销售", email="z@a.example", role="rep",
            team_id=other_team.id,
        )  # fmt: skip
        strangers_call = repo.create_call(
            session, org_id=DEMO_ORG_ID, rep_id=stranger.id, source="transcript"
        )
        own_call = repo.create_call(
            session, org_id=DEMO_ORG_ID, rep_id=DEMO_REP_ID, source="transcript"
        )
        stranger_id, strangers_call_id, own_call_id = stranger.id, strangers_call.id, own_call.id
    flagged = "我保证上线不延期。"
    with client(small) as http:
        first = batch(
            http,
            [
                {"id": "big", "text": "好" * 400},  # 1,200 bytes: over this service's 1,024
                {"id": "nocall", "text": flagged, "call_id": "no-such-call"},
                {"id": "ok", "text": flagged, "call_id": own_call_id, "channel": "wecom"},
                {"id": "theirs", "text": flagged, "call_id": strangers_call_id},
            ],
        )
        second = batch(
            http,
            [
                {"id": "rep", "text": flagged, "rep_id": stranger_id},
                {"id": "mismatch", "text": flagged, "call_id": own_call_id, "rep_id": "x"},
                {"id": "plain", "text": "方案明天发您。"},
            ],
        )
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
    answers = {r["id"]: r for r in first.json()["results"] + second.json()["results"]}
    assert {k: a["error"]["code"] for k, a in answers.items() if "error" in a} == {
        "big": "too_large",
        "nocall": "not_found",
        "theirs": "not_found",  # a rep cannot see another rep's call: the same 404
        "rep": "forbidden",
        "mismatch": "rep_mismatch",
    }
    assert answers["big"]["error"]["message"] == "1200 bytes of text; the limit is 1024"
    assert answers["ok"]["compliant"] is False and len(answers["ok"]["flag_ids"]) == 1
    assert answers["plain"] == {
        "id": "plain", "compliant": True, "flags": [], "truncated": False, "flag_ids": [],
    }  # fmt: skip
    # Only the one accepted violation was stored, on the rep's own call.
    assert flag_count(small) == 1
    with session_of(small) as session:
        (stored,) = session.scalars(select(Flag)).all()
        assert (stored.rep_id, stored.call_id) == (DEMO_REP_ID, own_call_id)
        assert created_by(session, stored.id) == (DEMO_REP_ID, "wecom")


def test_a_manager_checks_the_teams_messages_and_each_flag_is_its_reps(service: Service) -> None:
    with session_of(service) as session:
        manager_id, manager_key = add_demo_manager(session)
    with client(service, manager_key) as http:
        answer = batch(
            http,
            [
                {"id": "rep", "text": "尾款转我个人微信。", "rep_id": DEMO_REP_ID},
                {"id": "mine", "text": "我保证三十天一定上线。"},
            ],
        )
    assert answer.status_code == 200, answer.text
    results = {r["id"]: r for r in answer.json()["results"]}
    with client(service) as http:  # the rep sees the flag filed as theirs, not the manager's
        theirs = {f["id"]: f for f in http.get("/v1/flags").json()}
    assert set(results["rep"]["flag_ids"]) <= set(theirs)
    assert {theirs[i]["category"] for i in results["rep"]["flag_ids"]} == {"off_channel_payment"}
    with session_of(service) as session:
        mine = session.scalars(select(Flag).where(Flag.id.in_(results["mine"]["flag_ids"])))
        assert {flag.rep_id for flag in mine} == {manager_id}
        # The audit trail names the manager as who filed the rep's flag.
        (filed,) = results["rep"]["flag_ids"]
        assert created_by(session, filed) == (manager_id, None)


def test_a_batch_too_large_or_malformed_is_refused_whole_and_nothing_is_stored(
    small: Service,
) -> None:
    flagged = {"text": "我保证上线不延期。"}
    with client(small) as http:
        too_many = batch(http, [flagged] * 5)
        assert too_many.status_code == 413
        assert too_many.json()["error"] == {
            "code": "too_large",
            "message": "5 messages; the limit is 4",
        }
        too_much = batch(http, [{"text": "好" * 300}] * 3)  # 2,700 bytes in all
        assert too_much.status_code == 413
        assert too_much.json()["error"]["message"] == "2700 bytes of text in all; the limit is 2000"
        malformed: list[dict[str, Any]] = [
            {"messages": []},
            {"messages": [{"txt": "x"}]},
            {"text": "x"},
        ]
        for body in malformed:
            refused = http.post("/v1/compliance/scan/batch", json=body)
            assert refused.status_code == 422, refused.text
            assert refused.json()["error"]["code"] == "invalid_body"
        nul = http.post(
            "/v1/compliance/scan/batch",
            content='{"messages": [{"text": "我保证"}, {"text": "a\\u0000b"}]}',
            headers={"content-type": "application/json"},
        )
        assert nul.status_code == 422 and "NUL" in nul.json()["error"]["message"]
    assert flag_count(small) == 0


def test_a_database_that_refuses_the_flags_stores_none_of_the_batch(service: Service) -> None:
    with client(service) as http, WriteOutage(service.settings.database.url) as outage:
        assert batch(http, [{"text": "方案明天发您。"}]).status_code == 200  # signed in
        outage.start(60)
        refused = batch(http, [{"text": "我保证上线不延期。"}, {"text": "返点打到您个人卡上。"}])
        outage.until = 0.0
        assert outage.refused == 1  # the first flag's INSERT, then nothing more was tried
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert refused.json()["error"] == {
            "code": "store_unavailable",
            "message": "the database cannot be used now; nothing was stored, retry later",
        }
        assert flag_count(service) == 0
        again = batch(http, [{"text": "我保证上线不延期。"}, {"text": "返点打到您个人卡上。"}])
    assert again.status_code == 200
    assert flag_count(service) == sum(len(r["flag_ids"]) for r in again.json()["results"]) >= 2


def test_batches_sent_at_once_keep_every_flag_and_the_audit_chain_whole(service: Service) -> None:
    """Four clients, each sending batches of violations at the same time: every flag the
    answers name is stored once, and the org's audit chain still verifies."""
    messages = [{"text": t} for t in MESSAGES if t] * 2

    def send(_: int) -> list[str]:
        with client(service) as http:
            answer = batch(http, messages)
            assert answer.status_code == 200, answer.text
            return [i for r in answer.json()["results"] for i in r["flag_ids"]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        filed = [i for ids in pool.map(send, range(4)) for i in ids]
    assert len(filed) == len(set(filed)) > 20
    assert flag_count(service) == len(filed)
    with session_of(service) as session:
        report = audit.verify_chain(session, DEMO_ORG_ID)
    assert report.ok, report
