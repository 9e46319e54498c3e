"""The HTTP API: scan, suggest, post-call analysis, summary, confirm → CRM, tenancy."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from copilot.commands.service import running_service
from copilot.crm.config import CrmConfig
from copilot.service.pipeline import Engines
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from speech.engine import SpeechEngine
from tests.crm.receiver import Receiver
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings

SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtY3JtLXRlc3Qtb25seQ=="
CALLS = json.loads((DEVSET_AUDIO.parent / "calls.json").read_text(encoding="utf-8"))


def client(service: Service, key: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key or service.rep_key}"}
    return httpx.Client(base_url=service.url, headers=headers, timeout=30)


def wait_for_summary(http: httpx.Client, call_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        call = http.get(f"/v1/calls/{call_id}").json()
        if call["status"] not in ("analysing", "live"):
            assert call["status"] == "ended", call
            summary: dict[str, Any] = http.get(f"/v1/calls/{call_id}/summary").json()
            return summary
        time.sleep(0.2)
    raise AssertionError("the analysis did not finish")


def test_scan_stores_flags_and_an_override_is_audited(service: Service) -> None:
    with client(service) as http:
        clean = http.post("/v1/compliance/scan", json={"text": "方案明天下午发您。"}).json()
        assert clean == {"compliant": True, "flags": [], "truncated": False, "flag_ids": []}
        held = http.post(
            "/v1/compliance/scan",
            json={"text": "我保证上线不延期，再给您打个五折。", "channel": "wecom"},
        ).json()
        assert not held["compliant"]
        assert {f["category"] for f in held["flags"]} == {"guarantee", "unauthorized_discount"}
        assert len(held["flag_ids"]) == 2
        reason = {"flag_ids": held["flag_ids"], "reason": "客户坚持要书面确认，已报备主管"}
        assert http.post("/v1/compliance/override", json=reason).status_code == 204
        flags = http.get("/v1/flags").json()
        assert {f["status"] for f in flags} == {"overridden"}
        assert {f["override_reason"] for f in flags} == {reason["reason"]}
        # Someone else's (or a made-up) flag id: not found, nothing changes.
        bad = http.post("/v1/compliance/override", json={"flag_ids": ["nope"], "reason": "x"})
        assert bad.status_code == 404


def test_bad_requests_get_clear_errors(service: Service) -> None:
    with client(service) as http:
        big = http.post("/v1/compliance/scan", json={"text": "好" * 700_000})
        assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
        broken = http.post(
            "/v1/compliance/scan",
            content=b'{"text": ',
            headers={"content-type": "application/json"},
        )
        assert broken.status_code == 422 and broken.json()["error"]["message"]
        assert http.get("/v1/calls/no-such-call").status_code == 404
        assert http.get("/v1/calls/no-such-call/summary").status_code == 404
        turns = http.post("/v1/calls", json={"turns": [["boss", "hi"]]})
        assert turns.status_code == 422
        assert (
            http.post("/v1/calls", content=b"x", headers={"content-type": "text/plain"}).status_code
            == 415
        )
        empty = http.post("/v1/calls", files={"file": ("empty.wav", b"")})
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_file"


def test_text_that_cannot_be_stored_is_refused_by_name_and_nothing_is_stored(
    service: Service,
) -> None:
    # PostgreSQL's text cannot hold NUL, and UTF-8 cannot carry half of a UTF-16 pair (which
    # JSON may still escape): either was an internal error after the message was scanned.
    nul = json.dumps("我保证上线不延期，\u0000再给您打个五折。")
    lone = json.dumps("\ud800我保证上线不延期，再给您打个五折。")
    nul_says = "holds a NUL character (U+0000) at character 9"
    lone_says = "holds a lone UTF-16 surrogate (not valid Unicode) at character 0"
    with client(service) as http:
        for path, body, says in (
            ("/v1/compliance/scan", f'{{"text": {nul}}}', f"text: {nul_says}"),
            ("/v1/compliance/scan", f'{{"text": {lone}}}', f"text: {lone_says}"),
            ("/v1/suggest", f'{{"text": "太贵了", "call_id": {nul}}}', f"call_id: {nul_says}"),
            (
                "/v1/compliance/override",
                f'{{"flag_ids": ["f1", {lone}], "reason": "x"}}',
                f"flag_ids.1: {lone_says}",
            ),
        ):
            answer = http.post(path, content=body, headers={"content-type": "application/json"})
            assert answer.status_code == 422, path
            assert answer.json()["error"]["message"].endswith(says), answer.text
        upload = http.post(
            "/v1/calls",
            files={"file": ("x.wav", b"RIFF....WAVE")},
            data={"customer_name": "王\u0000总"},
        )
        assert upload.status_code == 422
        assert upload.json()["error"]["message"].startswith("customer_name: holds a NUL")
        # Nor may an id in the URL hold one: no route looks it up.
        for url in ("/v1/calls/a%00b", "/v1/calls?account_id=%00", "/v1/flags/x%00/acknowledge"):
            refused = http.request("POST" if "flags" in url else "GET", url)
            assert refused.status_code == 400, url
            assert refused.json()["error"]["code"] == "bad_url"
        assert http.get("/v1/flags").json() == []
        assert http.get("/v1/calls").json() == []
        # A surrogate pair (an astral character) is valid Unicode.
        pair = json.dumps("𠀀我保证上线不延期。")
        held = http.post(
            "/v1/compliance/scan",
            content=f'{{"text": {pair}}}',
            headers={"content-type": "application/json"},
        )
        assert held.status_code == 200 and not held.json()["compliant"]


def test_suggest_and_feedback_moves_the_ranking(service: Service) -> None:
    text = {"text": "纷享销客比你们便宜两成"}
    with client(service) as http:
        result = http.post("/v1/suggest", json=text).json()
        assert result["objection"] in ("competitor", "price")
        assert len(result["suggestions"]) == 3
        top = result["suggestions"][0]
        for _ in range(10):
            sent = http.post(
                "/v1/suggestions/feedback", json={"entry_id": top["id"], "action": "dismissed"}
            )
            assert sent.status_code == 204
        after = {
            s["id"]: s["score"] for s in http.post("/v1/suggest", json=text).json()["suggestions"]
        }
        assert after.get(top["id"], 0.0) < top["score"]
        wrong = http.post(
            "/v1/suggestions/feedback", json={"entry_id": top["id"], "action": "love"}
        )
        assert wrong.status_code == 422


@pytest.mark.parametrize("call", CALLS, ids=[c["id"] for c in CALLS])
def test_scripted_turns_are_analysed_like_a_call(service: Service, call: dict[str, Any]) -> None:
    gold = call["gold"]
    with client(service) as http:
        created = http.post("/v1/calls", json={"turns": call["turns"]})
        assert created.status_code == 202
        summary = wait_for_summary(http, created.json()["call_id"])
    low, high = gold["budget"]
    assert summary["budget"]["amount_max"] >= low and (summary["budget"]["amount_min"] or 0) <= high
    assert {o["type"] for o in summary["objections"]} == set(gold["objections"])
    assert [c["name"] for c in summary["competitors"]] == gold["competitors"]
    assert {f["category"] for f in summary["compliance_flags"]} == set(gold["compliance"])
    names = {p["name"] for p in summary["decision_chain"]} | {
        p["role"] for p in summary["decision_chain"] if p["role"]
    }
    assert set(gold["decision"]) <= names


def test_an_uploaded_recording_is_transcribed_and_analysed(service: Service) -> None:
    with client(service) as http:
        audio = (DEVSET_AUDIO / "dc02.stereo.wav").read_bytes()
        created = http.post("/v1/calls", files={"file": ("dc02.wav", audio, "audio/wav")})
        assert created.status_code == 202
        summary = wait_for_summary(http, created.json()["call_id"])
        assert {s["speaker"] for s in summary["transcript"]} == {"rep", "customer"}
        assert {o["type"] for o in summary["objections"]} >= {"price", "authority"}
        broken = http.post("/v1/calls", files={"file": ("x.wav", b"RIFF....WAVEfmt nonsense")})
        call = broken.json()["call_id"]
        deadline = time.monotonic() + 30
        while (status := http.get(f"/v1/calls/{call}").json()["status"]) == "analysing":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert status == "failed"


@pytest.fixture
def crm() -> Iterator[Receiver]:
    receiver = Receiver([SECRET], now=time.time)
    receiver.start()
    yield receiver
    receiver.stop()


def test_confirm_delivers_once_to_the_crm_after_it_comes_back(
    db_url: str, engines: Engines, speech_engine: SpeechEngine, crm: Receiver
) -> None:
    settings = service_settings(db_url)
    settings = settings.model_copy(
        update={
            "crm": CrmConfig(
                webhook_url=crm.url,
                secrets=[SecretStr(SECRET)],
                backoff_base_s=0.2,
                backoff_max_s=0.5,
                jitter=0.0,
                poll_interval_s=0.1,
                timeout_s=2.0,
            )
        }
    )
    crm.answer_next(503, 503)  # the CRM is down for the first two attempts
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        service = Service(url, key, settings)
        with client(service) as http:
            created = http.post("/v1/calls", json={"turns": CALLS[0]["turns"]}).json()
            call_id = created["call_id"]
            summary = wait_for_summary(http, call_id)
            first = http.post(f"/v1/calls/{call_id}/confirm").json()
            second = http.post(f"/v1/calls/{call_id}/confirm").json()
            assert first["delivery"]["id"] == second["delivery"]["id"]
            deadline = time.monotonic() + 20
            while http.get(f"/v1/calls/{call_id}").json()["delivery"]["status"] != "delivered":
                assert time.monotonic() < deadline, crm.requests
                time.sleep(0.1)
            info = http.get(f"/v1/calls/{call_id}").json()
            assert info["status"] == "confirmed" and info["delivery"]["attempts"] == 3
            edit = http.put(f"/v1/calls/{call_id}/summary", json=summary)
            assert edit.status_code == 409  # confirmed and sent: final
    assert len(crm.state.effects) == 1
    (payload,) = crm.state.effects.values()
    assert payload["type"] == "call.summary.confirmed"
    assert payload["data"]["call_id"] == call_id
    assert payload["data"]["competitors"][0]["name"] == "销售易"


def test_tenancy_not_yours_is_not_found(service: Service) -> None:
    engine = make_engine(service.settings.database.url)
    with session_factory(engine).begin() as session:
        other = repo.create_org(session, "别的公司")
        boss = repo.create_user(
            session, other.id, name="外人", email="x@other.example", role="admin"
        )
        _, other_key = repo.create_api_key(session, boss, label="test")
        demo = repo.ensure_demo_tenant(session)
        lone_rep = repo.create_user(
            session, demo.org.id, name="另一个销售", email="r2@demo.example", role="rep"
        )
        _, lone_key = repo.create_api_key(session, lone_rep, label="test")
    engine.dispose()
    with client(service, demo.rep_key) as http:
        call_id = http.post("/v1/calls", json={"turns": CALLS[1]["turns"]}).json()["call_id"]
        wait_for_summary(http, call_id)
        http.post("/v1/compliance/scan", json={"text": "给您打个五折"})
    for key in (other_key, lone_key):
        with client(service, key) as http:
            for path in (f"/v1/calls/{call_id}", f"/v1/calls/{call_id}/summary"):
                answer = http.get(path)
                assert answer.status_code == 404
                assert answer.json() == http.get(path.replace(call_id, "missing")).json()
            assert http.post(f"/v1/calls/{call_id}/confirm").status_code == 404
            assert http.get("/v1/calls").json() == []
            assert http.get("/v1/flags").json() == []
    with client(service, demo.manager_key) as http:
        assert [c["id"] for c in http.get("/v1/calls").json()] == [call_id]
        flags = http.get("/v1/flags", params={"category": "unauthorized_discount"}).json()
        assert len(flags) == 2  # one said on the call, one in a message
        resolved = http.post(f"/v1/flags/{flags[0]['id']}/resolve", json={"comment": "已辅导"})
        assert resolved.json()["status"] == "resolved"
        audit = http.get("/v1/audit").json()
        assert audit["chain"]["ok"] and any(
            r["action"] == "flag.resolved" for r in audit["records"]
        )
    with client(service, demo.rep_key) as http:
        assert http.post(f"/v1/flags/{flags[0]['id']}/resolve", json={}).status_code == 403
        assert http.get("/v1/audit").status_code == 403


def test_openapi_and_health(service: Service) -> None:
    with httpx.Client(base_url=service.url) as http:
        paths = http.get("/openapi.json").json()["paths"]
        assert {"/v1/compliance/scan", "/v1/suggest", "/v1/calls/{call_id}/confirm"} <= set(paths)
        health = http.get("/healthz").json()
        assert health["status"] == "ok" and health["calls_live"] == 0


def test_an_organisations_discount_authority_applies_without_a_restart(service: Service) -> None:
    said = {"text": "这单我给您打个七折。"}
    with client(service) as http:
        assert not http.post("/v1/compliance/scan", json=said).json()["compliant"]
        engine = make_engine(service.settings.database.url)
        with session_factory(engine).begin() as session:
            org = repo.find_org(session, "演示公司")
            org.policy = {"max_discount_off": 0.35}  # this company lets reps go to 六五折
        engine.dispose()
        answer = http.post("/v1/compliance/scan", json=said).json()
        assert answer["compliant"], answer
        assert not http.post("/v1/compliance/scan", json={"text": "给您打个五折"}).json()[
            "compliant"
        ]
