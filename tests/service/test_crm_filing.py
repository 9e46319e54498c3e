"""A devset call filed to each CRM through the real service: linked to an account and an
opportunity, confirmed, sent by the delivery worker, accepted by a strict local receiver
of that CRM's shape (tests/crm/receivers.py). What each receiver accepted is kept as a
fixture in ``tests/crm/fixtures/service/`` (volatile values — ids, times, dates — replaced
by placeholders); ``UPDATE_FIXTURES=1`` writes them again.

The call is the devset's dc01 as JSON turns (deterministic); one more is streamed from its
recording with the identity in the start message and filed to the generic webhook.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from copilot.client import replay_call
from copilot.commands.service import running_service
from copilot.crm.config import CrmConfig
from copilot.crm.mapping import builtin_names
from copilot.service.pipeline import Engines
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Org
from copilot.store.tenants import DEMO_ORG_ID
from speech.audio import decode_file
from speech.engine import SpeechEngine
from tests.crm.receivers import CrmReceiver
from tests.service.conftest import DEVSET_AUDIO, service_settings
from tests.service.test_http import CALLS, SECRET, wait_for_summary

FIXTURES = Path(__file__).resolve().parents[1] / "crm" / "fixtures" / "service"
# Ids shaped as each CRM issues them (the receivers check the shapes).
IDENTITIES: dict[str, dict[str, str]] = {
    "generic": {"account_id": "ACC-1001", "opportunity_id": "OPP-2001", "contact_id": "C-1"},
    "salesforce": {
        "account_id": "0015g00000AbCdEAAZ",
        "opportunity_id": "0065g00000FgHiJAAZ",
        "contact_id": "0035g00000KlMnOAAZ",
        "crm_user_id": "0055g00000PqRsTAAZ",
    },
    "hubspot": {
        "account_id": "9001",
        "opportunity_id": "7001",
        "contact_id": "5001",
        "crm_user_id": "3001",
    },
    "fxiaoke": {
        "account_id": "65f1a2b3c4d5e6f708192a3b",
        "opportunity_id": "65f1a2b3c4d5e6f708192a3c",
        "contact_id": "65f1a2b3c4d5e6f708192a3d",
        "crm_user_id": "FSUID_1A2B3C",
    },
    "xiaoshouyi": {
        "account_id": "1234567",
        "opportunity_id": "2345678",
        "contact_id": "3456789",
        "crm_user_id": "4567890",
    },
}
# 销售易 needs the tenant's record type and department (copilot crm target --constant).
CONSTANTS = {"xiaoshouyi": {"activity_entity_type": "11010000100001", "department_id": "1001"}}

_VOLATILE = [
    (re.compile(r"msg_[0-9a-f]{32}"), "<message-id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"), "<time>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "<date>"),
    (re.compile(r"\d{1,2}月\d{1,2}日"), "<date>"),
]


def normalised(value: Any, call_ids: dict[str, str]) -> Any:
    """``value`` with what changes from run to run (ids, times, dates named relative to
    today) replaced by placeholders."""
    if isinstance(value, dict):
        return {k: normalised(v, call_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v, call_ids) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and value > 10**9:
        return "<epoch>"  # seconds or milliseconds since 1970
    if isinstance(value, str):
        for call_id, name in call_ids.items():
            value = value.replace(call_id, name)
        for pattern, placeholder in _VOLATILE:
            value = pattern.sub(placeholder, value)
    return value


def set_target(db_url: str, target: dict[str, Any] | None) -> None:
    engine = make_engine(db_url)
    with session_factory(engine).begin() as session:
        org = session.get(Org, DEMO_ORG_ID)
        assert org is not None
        org.crm = target
    engine.dispose()


def delivered(http: httpx.Client, call_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        info: dict[str, Any] = http.get(f"/v1/calls/{call_id}").json()
        if info["delivery"]["status"] == "delivered":
            return info
        assert info["delivery"]["status"] == "pending", info["delivery"]
        assert time.monotonic() < deadline, json.dumps(info["delivery"], ensure_ascii=False)
        time.sleep(0.1)


def test_a_devset_call_is_filed_to_each_crm_in_the_shape_it_accepts(
    db_url: str, engines: Engines, speech_engine: SpeechEngine
) -> None:
    generic = CrmReceiver("generic", secrets=[SECRET])
    settings = service_settings(db_url).model_copy(
        update={
            "crm": CrmConfig(
                webhook_url=f"{generic.url}/hooks/copilot",
                secrets=[SecretStr(SECRET)],
                poll_interval_s=0.1,
                timeout_s=5.0,
            )
        }
    )
    accepted: dict[str, list[dict[str, Any]]] = {}
    receivers = {
        name: generic if name == "generic" else CrmReceiver(name) for name in builtin_names()
    }
    with ExitStack() as stack:
        for receiver in receivers.values():
            stack.enter_context(receiver)
        url, key = stack.enter_context(
            running_service(settings, engines=engines, speech_engine=speech_engine)
        )
        http = stack.enter_context(
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        )
        for name, receiver in receivers.items():
            target: dict[str, Any] | None = None
            if name != "generic":
                target = {"mapping": name, "base_url": receiver.url}
                target["constants"] = CONSTANTS.get(name, {})
            set_target(db_url, target)
            seen_before = len(receiver.seen)
            body = {"turns": CALLS[0]["turns"], "crm": IDENTITIES[name]}
            call_id = http.post("/v1/calls", json=body).json()["call_id"]
            wait_for_summary(http, call_id)
            confirmed = http.post(f"/v1/calls/{call_id}/confirm")
            assert confirmed.status_code == 200, confirmed.text
            info = delivered(http, call_id)
            assert info["delivery"]["target"] == ("webhook" if name == "generic" else name)
            seen = receiver.seen[seen_before:]
            assert [s.error for s in seen] == [None] * len(seen)
            assert info["delivery"]["steps_done"] == info["delivery"]["steps"] == len(seen)
            # The account and the opportunity reach the CRM. (A Salesforce Task and a 销售易
            # activity record belong to one record, the opportunity, whose account the CRM
            # knows.)
            sent = json.dumps([[s.path, s.body] for s in seen], ensure_ascii=False)
            assert IDENTITIES[name]["opportunity_id"] in sent
            if name not in ("salesforce", "xiaoshouyi"):
                assert IDENTITIES[name]["account_id"] in sent
            accepted[name] = normalised(
                [{"method": s.method, "path": s.path, "body": s.body} for s in seen],
                {call_id: "<call-id>"},
            )

        # The same call streamed from its recording, the identity in the start message.
        set_target(db_url, None)
        before = len(generic.seen)
        audio = decode_file(DEVSET_AUDIO / "dc01.stereo.wav")
        replay = asyncio.run(
            replay_call(url, key, audio, speed=8.0, crm=IDENTITIES["generic"], timeout_s=180)
        )
        assert http.post(f"/v1/calls/{replay.call_id}/confirm").status_code == 200
        delivered(http, replay.call_id)
        (streamed,) = generic.seen[before:]
    assert streamed.error is None
    data = streamed.body["data"]
    assert data["identity"] == IDENTITIES["generic"] and data["source"] == "stream"
    assert data["competitors"] and data["transcript"]  # heard from the recording

    for name, requests in accepted.items():
        path = FIXTURES / f"{name}.json"
        if os.environ.get("UPDATE_FIXTURES") == "1":
            FIXTURES.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(requests, ensure_ascii=False, indent=2) + "\n", "utf-8")
        assert path.exists(), f"{path} is missing: run with UPDATE_FIXTURES=1"
        assert requests == json.loads(path.read_text("utf-8")), name
