"""A manager's correction of a stored transcript is analysed again, against the real server:
大气的 corrected to 打七折的 raises the discount flag, a promise corrected away withdraws its
flag, a customer's corrected budget reaches the summary; an edited or confirmed summary
is the rep's and stays."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.store.db import make_engine, session_factory
from speech.engine import SpeechEngine
from tests.service.conftest import add_demo_manager, service_settings

DISCOUNT = "这样吧，我跟您打七折的，今天就能定。"
TURNS = [
    ["rep", "王经理您好，我是云帆软件的小王。"],
    ["customer", "我们今年预算大概六十万。"],
    # 这样吧，我跟您打七折的 as the recogniser heard it: no discount left to flag.
    ["rep", "这样吧，我跟您大气的，今天就能定。"],
    ["rep", "我们保证上线绝对不会延期。"],
]


@dataclass
class World:
    url: str
    rep: str
    manager: str

    def http(self, key: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture
def world(db_url: str, engines: Engines, speech_engine: SpeechEngine) -> Iterator[World]:
    settings = service_settings(db_url)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, rep):
        engine = make_engine(db_url)
        try:
            with session_factory(engine).begin() as session:
                _, manager_key = add_demo_manager(session)
        finally:
            engine.dispose()
        yield World(url, rep, manager_key)


def analysed_call(world: World) -> str:
    with world.http(world.rep) as http:
        call_id = str(http.post("/v1/calls", json={"turns": TURNS}).json()["call_id"])
        deadline = time.monotonic() + 60
        while http.get(f"/v1/calls/{call_id}").json()["status"] == "analysing":
            assert time.monotonic() < deadline, "the analysis did not finish"
            time.sleep(0.1)
    return call_id


def correct(world: World, call_id: str, segment_id: str, text: str) -> dict[str, object]:
    with world.http(world.manager) as http:
        answer = http.patch(f"/v1/calls/{call_id}/segments/{segment_id}", json={"text": text})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def test_corrected_words_are_analysed_again(world: World) -> None:
    call_id = analysed_call(world)
    with world.http(world.manager) as http:
        summary = http.get(f"/v1/calls/{call_id}/summary").json()
        assert {f["category"] for f in summary["compliance_flags"]} == {"guarantee"}
        promises = sorted(f["id"] for f in http.get("/v1/flags").json())
        assert promises

    fixed = correct(world, call_id, "t3", DISCOUNT)
    assert fixed["reanalysed"] and fixed["summary_updated"]
    assert fixed["flags_withdrawn"] == [] and len(fixed["flags_raised"]) == 1  # type: ignore[arg-type]

    cleared = correct(world, call_id, "t4", "我们会尽最大努力按时上线。")
    assert cleared["flags_raised"] == []
    assert sorted(cleared["flags_withdrawn"]) == promises  # type: ignore[type-var]

    budget = correct(world, call_id, "t2", "我们今年预算大概八十万。")
    assert budget["flags_raised"] == budget["flags_withdrawn"] == []

    with world.http(world.manager) as http:
        summary = http.get(f"/v1/calls/{call_id}/summary").json()
        flags = {f["id"]: f for f in http.get("/v1/flags").json()}
    assert [f["category"] for f in summary["compliance_flags"]] == ["unauthorized_discount"]
    assert summary["compliance_flags"][0]["evidence"]["text"] == DISCOUNT
    assert summary["budget"]["amount_min"] <= 800_000 <= summary["budget"]["amount_max"]
    assert [s["text"] for s in summary["transcript"]][1] == "我们今年预算大概八十万。"
    assert flags[fixed["flags_raised"][0]]["status"] == "open"  # type: ignore[index]
    assert all(flags[p]["status"] == "withdrawn" for p in promises)


def test_a_summary_the_rep_edited_or_confirmed_stays_theirs(world: World) -> None:
    call_id = analysed_call(world)
    with world.http(world.rep) as http:
        summary = http.get(f"/v1/calls/{call_id}/summary").json()
        summary["summary_text"] = "客户预算六十万，下周再聊。"
        assert http.put(f"/v1/calls/{call_id}/summary", json=summary).status_code == 200

    edited = correct(world, call_id, "t3", DISCOUNT)
    assert edited["reanalysed"] and len(edited["flags_raised"]) == 1  # type: ignore[arg-type]
    assert edited["summary_updated"] is False
    with world.http(world.rep) as http:
        kept = http.get(f"/v1/calls/{call_id}/summary").json()
        assert kept["summary_text"] == "客户预算六十万，下周再聊。"
        assert http.post(f"/v1/calls/{call_id}/confirm").status_code == 200

    confirmed = correct(world, call_id, "t2", "我们今年预算大概八十万。")
    assert confirmed["reanalysed"] and confirmed["summary_updated"] is False
    with world.http(world.rep) as http:
        budget = http.get(f"/v1/calls/{call_id}/summary").json()["budget"]
        assert budget["amount_min"] <= 600_000 <= budget["amount_max"]
