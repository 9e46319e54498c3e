"""Review before filing, over HTTP against the real service: a call linked to CRM records,
its summary edited and skipped field by field, confirmed once, filed with its identity and
tasks; the rep's follow-ups; the CRM identity picker with the org's lookup endpoint."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from copilot.commands.service import running_service
from copilot.crm.config import CrmConfig
from copilot.service.pipeline import Engines
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, Call, Org
from speech.engine import SpeechEngine
from tests.crm.receiver import Receiver, free_port
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings
from tests.service.test_http import CALLS, SECRET, client, wait_for_summary

IDENTITY = {
    "account_id": "0015g00000XyZabAAB",
    "account_name": "云帆连锁零售",
    "opportunity_id": "0065g00000AbCdeAAB",
    "contact_id": "0035g00000Con01AAB",
    "contact_name": "赵总",
}


@pytest.fixture
def crm() -> Iterator[Receiver]:
    receiver = Receiver([SECRET], now=time.time)
    receiver.start()
    yield receiver
    receiver.stop()


def crm_settings(db_url: str, url: str) -> Any:
    settings = service_settings(db_url)
    crm_config = CrmConfig(
        webhook_url=url, secrets=[SecretStr(SECRET)], poll_interval_s=0.1, timeout_s=2.0
    )
    return settings.model_copy(update={"crm": crm_config})


def given(identity: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in identity.items() if value is not None}


def audit_actions(db_url: str, call_id: str) -> list[str]:
    engine = make_engine(db_url)
    with session_factory(engine)() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.subject_id == call_id).order_by(AuditRecord.id)
        )
        found = [row.action for row in rows]
    engine.dispose()
    return found


def test_a_reviewed_call_is_filed_once_with_its_identity_and_tasks(
    db_url: str, engines: Engines, speech_engine: SpeechEngine, crm: Receiver
) -> None:
    settings = crm_settings(db_url, crm.url)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        with client(Service(url, key, settings)) as http:
            body = {"turns": CALLS[0]["turns"], "crm": IDENTITY}
            call_id = http.post("/v1/calls", json=body).json()["call_id"]
            wait_for_summary(http, call_id)
            info = http.get(f"/v1/calls/{call_id}").json()
            assert given(info["crm"]) == IDENTITY and info["customer_name"] == "云帆连锁零售"

            review = http.get(f"/v1/calls/{call_id}/review").json()
            fields = {f["name"]: f for f in review["fields"]}
            assert list(fields) == [
                "summary_text",
                "next_steps",
                "budget",
                "decision_chain",
                "pain_points",
                "objections",
                "competitors",
            ]
            assert {f["state"] for f in fields.values()} == {"pending"}
            (step,) = fields["next_steps"]["value"]
            assert step["who"] == "rep" and step["evidence"]["text"]
            assert step["due_date"] is not None  # 周四之前: the Thursday after the call
            assert fields["competitors"]["value"][0]["name"] == "销售易"

            text = fields["summary_text"]["value"] + "（已核对）"
            edited = http.patch(f"/v1/calls/{call_id}/review/summary_text", json={"value": text})
            assert edited.status_code == 200, edited.text
            skipped = http.patch(
                f"/v1/calls/{call_id}/review/competitors", json={"state": "skipped"}
            )
            states = {f["name"]: f["state"] for f in skipped.json()["fields"]}
            assert states["summary_text"] == "approved" and states["competitors"] == "skipped"
            bad = http.patch(f"/v1/calls/{call_id}/review/budget", json={"value": {"x": 1}})
            assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
            unknown = http.patch(f"/v1/calls/{call_id}/review/mood", json={"state": "skipped"})
            assert unknown.status_code == 404

            first = http.post(f"/v1/calls/{call_id}/confirm").json()
            second = http.post(f"/v1/calls/{call_id}/confirm").json()
            assert first["delivery"]["id"] == second["delivery"]["id"]
            late = http.patch(f"/v1/calls/{call_id}/review/budget", json={"state": "skipped"})
            assert late.status_code == 409
            deadline = time.monotonic() + 20
            while http.get(f"/v1/calls/{call_id}").json()["delivery"]["status"] != "delivered":
                assert time.monotonic() < deadline, crm.requests
                time.sleep(0.1)

            followups = http.get("/v1/followups").json()["followups"]
            (task,) = [f for f in followups if f["call_id"] == call_id]
            assert task["owner"] == "rep" and task["customer_name"] == "云帆连锁零售"
            assert task["due_date"] is not None  # 周四之前 → a date
            ticked = http.patch(f"/v1/followups/{task['id']}", json={"done": True}).json()
            assert ticked["done"] is True
            assert all(f["id"] != task["id"] for f in http.get("/v1/followups").json()["followups"])

    (payload,) = crm.effects.values()  # sent once
    data = payload["data"]
    assert data["identity"] == IDENTITY
    assert data["summary_text"].endswith("（已核对）")
    assert data["competitors"] == [] and data["review"]["competitors"] == "skipped"
    assert data["review"]["budget"] == "approved"  # pending fields are approved by the click
    assert data["tasks"][0]["due_date"] == task["due_date"]
    assert data["rep"]["email"]
    assert audit_actions(db_url, call_id) == [
        "call.crm_linked",
        "call.summary_field_edited",
        "call.summary_field_skipped",
        "call.confirmed",
    ]


class Lookup:
    """The org's CRM lookup endpoint: answers identities whose name holds ``q``."""

    def __init__(self, accounts: list[dict[str, str]]) -> None:
        self.queries: list[dict[str, list[str]]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/lookup"
        lookup = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                lookup.queries.append(query)
                found = [a for a in accounts if query["q"][0] in a["account_name"]]
                data = json.dumps(found, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server.socket.fileno() != -1:
            self.server.shutdown()
            self.server.server_close()


def test_the_picker_offers_remembered_identities_and_the_orgs_lookup(service: Service) -> None:
    lookup = Lookup([{"account_id": "A-77", "account_name": "恒钧汽车零部件"}])
    try:
        with client(service) as http:
            call_id = http.post("/v1/calls", json={"turns": CALLS[1]["turns"]}).json()["call_id"]
            linked = http.put(
                f"/v1/calls/{call_id}/crm",
                json={"account_id": "A-12", "account_name": "恒钧精密", "opportunity_id": "O-9"},
            )
            assert linked.status_code == 200, linked.text
            assert linked.json()["customer_name"] == "恒钧精密"
            assert http.put(f"/v1/calls/{call_id}/crm", json={"deal": "x"}).status_code == 422

            answer = http.get("/v1/crm/accounts", params={"q": "恒钧"}).json()
            assert [(a["account_id"], a["source"]) for a in answer["accounts"]] == [
                ("A-12", "remembered")
            ]
            engine = make_engine(service.settings.database.url)
            with session_factory(engine).begin() as session:
                org_id = session.get(Call, call_id).org_id  # type: ignore[union-attr]
                org = session.get(Org, org_id)
                assert org is not None
                org.crm = {"lookup_url": lookup.url}
            answer = http.get("/v1/crm/accounts", params={"q": "恒钧"}).json()
            assert [(a["account_id"], a["source"]) for a in answer["accounts"]] == [
                ("A-12", "remembered"),
                ("A-77", "lookup"),
            ]
            assert answer["lookup_error"] is None and lookup.queries[-1]["rep"][0]
            lookup.stop()  # the CRM lookup goes down: the remembered ones still come
            answer = http.get("/v1/crm/accounts", params={"q": "恒钧"}).json()
            assert [a["account_id"] for a in answer["accounts"]] == ["A-12"]
            assert "unreachable" in answer["lookup_error"]
            with session_factory(engine).begin() as session:
                stranger = repo.create_org(session, "别的公司")
                boss = repo.create_user(
                    session, stranger.id, name="外人", email="x@other.example", role="admin"
                )
                _, other_key = repo.create_api_key(session, boss, label="test")
            engine.dispose()
            with client(service, other_key) as other:
                for path in (f"/v1/calls/{call_id}/review", "/v1/calls/missing/review"):
                    assert other.get(path).status_code == 404
                put = other.put(f"/v1/calls/{call_id}/crm", json={"account_id": "X"})
                assert put.status_code == 404
                assert other.get("/v1/crm/accounts", params={"q": "恒钧"}).json()["accounts"] == []
    finally:
        lookup.stop()


def test_an_upload_carries_its_customer_and_crm_ids(service: Service) -> None:
    wav = DEVSET_AUDIO / "dc01.stereo.wav"
    with client(service) as http:
        answer = http.post(
            "/v1/calls",
            files={"file": ("call.wav", wav.read_bytes(), "audio/wav")},
            data={"customer_name": "恒钧", "account_id": "A-1", "opportunity_id": "O-1"},
        )
        assert answer.status_code == 202, answer.text
        info = http.get(f"/v1/calls/{answer.json()['call_id']}").json()
        assert info["customer_name"] == "恒钧"
        assert given(info["crm"]) == {"account_id": "A-1", "opportunity_id": "O-1"}
        bad = http.post(
            "/v1/calls",
            files={"file": ("call.wav", wav.read_bytes(), "audio/wav")},
            data={"crm": "{not json"},
        )
        assert bad.status_code == 422
