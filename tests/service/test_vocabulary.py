"""An org's vocabulary on its calls, against the real server: terms added with ``copilot
vocab`` correct its uploads, the start message's contacts its live calls, and a manager's
transcript correction (``PATCH /v1/calls/{id}/segments/{segment_id}``) teaches the org a
term its next call is heard with. Which words Whisper mishears cannot be chosen with real
audio, so the recogniser's answer is recorded (as in tests/speech/test_correction_engine.py);
VAD, streaming, correction, storage and the HTTP and socket layers are the real ones."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from sqlalchemy import select
from typer.testing import CliRunner

from copilot.cli import app as cli
from copilot.client import ws_url
from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from copilot.settings import get_settings
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from copilot.store.models import AuditRecord, OrgVocabulary
from copilot.store.tenants import DEMO_ORG_ID
from speech.audio import decode_file, to_pcm_s16le
from speech.config import SpeechConfig
from speech.engine import SpeechEngine
from speech.transcriber import Recognition, RecognitionRequest, Transcriber
from tests.service.conftest import add_demo_manager, service_settings

# What the recogniser "heard" in every utterance: a contact's title (孙总) and the org's
# product (慧销通) misheard.
HEARD = "森总您好，我们打算上会销通这个系统"
FIXED = "孙总您好，我们打算上慧销通这个系统"
runner = CliRunner()


class RecordedTranscriber(Transcriber):
    name = "recorded"

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        return Recognition(text=HEARD, avg_logprob=-0.2, no_speech_prob=0.01)


@dataclass
class World:
    url: str
    db_url: str
    keys: dict[str, str]  # rep, manager (the rep's team), other_manager (another org)
    manager_id: str

    def http(self, who: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[who]}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture
def world(db_url: str, engines: Engines) -> Iterator[World]:
    speech = SpeechEngine(SpeechConfig(), transcriber=RecordedTranscriber())
    with running_service(service_settings(db_url), engines=engines, speech_engine=speech) as (
        url,
        rep_key,
    ):
        engine = make_engine(db_url)
        try:
            with session_factory(engine).begin() as session:
                manager_id, manager_key = add_demo_manager(session)
                other = repo.create_org(session, "乙公司")
                stranger = repo.create_user(
                    session, other.id, name="赵经理", email="z@b.example", role="manager"
                )
                _, other_key = repo.create_api_key(session, stranger, label="test")
        finally:
            engine.dispose()
        keys = {"rep": rep_key, "manager": manager_key, "other_manager": other_key}
        yield World(url, db_url, keys, manager_id)


def upload(world: World, audio: Path) -> str:
    with world.http("rep") as http:
        answer = http.post("/v1/calls", files={"file": (audio.name, audio.read_bytes())})
        assert answer.status_code == 202, answer.text
        call_id = str(answer.json()["call_id"])
        deadline = time.monotonic() + 60
        while http.get(f"/v1/calls/{call_id}").json()["status"] == "analysing":
            assert time.monotonic() < deadline, "the analysis did not finish"
            time.sleep(0.2)
        assert http.get(f"/v1/calls/{call_id}").json()["status"] == "ended"
    return call_id


async def _stream(world: World, call_id: str, audio: Path, start: dict[str, Any]) -> None:
    with world.http("rep") as http:
        token = http.post("/v1/auth/socket-token", json={"call_id": call_id}).json()["token"]
    decoded = decode_file(audio)
    url = ws_url(world.url, f"/v1/calls/{call_id}/audio?token={token}")
    async with websockets.connect(url) as ws:
        header = {"type": "start", "sample_rate": 16000, "channels": decoded.channels, **start}
        await ws.send(json.dumps(header))
        assert json.loads(await ws.recv())["type"] == "started"
        pcm = to_pcm_s16le(decoded.samples)
        step = 16000 // 5 * 2 * decoded.channels  # 200 ms frames
        for at in range(0, len(pcm), step):
            await ws.send(pcm[at : at + step])
        await ws.send(json.dumps({"type": "stop"}))
        while (reply := json.loads(await asyncio.wait_for(ws.recv(), 60)))["type"] != "stopped":
            assert reply["type"] != "error" or not reply.get("fatal"), reply


def stream(world: World, call_id: str, audio: Path, **start: Any) -> str:
    asyncio.run(_stream(world, call_id, audio, start))
    return call_id


def segments(world: World, call_id: str, who: str = "manager") -> list[dict[str, Any]]:
    with world.http(who) as http:
        answer = http.get(f"/v1/calls/{call_id}/segments")
        assert answer.status_code == 200, answer.text
        listed: list[dict[str, Any]] = answer.json()
        assert listed, "no segments stored"
        return listed


def vocabulary(world: World) -> list[OrgVocabulary]:
    engine = make_engine(world.db_url)
    try:
        with session_factory(engine)() as session:
            rows = session.scalars(select(OrgVocabulary).where(OrgVocabulary.org_id == DEMO_ORG_ID))
            return list(rows)
    finally:
        engine.dispose()


def test_an_orgs_terms_correct_its_uploads_and_managers_see_what_was_heard(
    world: World, fixture_audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = fixture_audio / "fx_short.stereo.wav"
    before = segments(world, upload(world, audio))
    assert all(s["text"].endswith("上会销通这个系统") and "raw_text" not in s for s in before)

    monkeypatch.setenv("COPILOT_DATABASE__URL", world.db_url)
    get_settings.cache_clear()
    try:
        added = runner.invoke(cli, ["vocab", "add", "--org", DEMO_ORG_ID, "慧销通"])
        assert added.exit_code == 0, added.output
    finally:
        get_settings.cache_clear()

    call_id = upload(world, audio)  # no restart: the next call has the term
    for segment in segments(world, call_id):
        assert segment["text"].endswith("上慧销通这个系统")
        assert segment["raw_text"] == HEARD  # stored: what the recogniser heard
    # A rep sees the corrected transcript, not the audit of what was heard.
    assert all("raw_text" not in s for s in segments(world, call_id, "rep"))


def test_a_managers_correction_teaches_the_orgs_next_live_call(
    world: World, fixture_audio: Path
) -> None:
    audio = fixture_audio / "fx_short.stereo.wav"
    # The start message's contacts spell 孙总; the product is not known yet.
    first = stream(world, "live-1", audio, customer_name="云帆软件", contacts=["孙建国"])
    heard = segments(world, first)
    assert heard[0]["text"] == "孙总您好，我们打算上会销通这个系统"
    segment_id = heard[0]["id"]

    with world.http("manager") as http:
        answer = http.patch(f"/v1/calls/{first}/segments/{segment_id}", json={"text": FIXED})
    assert answer.status_code == 200, answer.text
    corrected = answer.json()
    assert corrected["text"] == FIXED and corrected["learned"] == ["慧销通"]
    assert corrected["raw_text"] == HEARD  # the recogniser's words, not the first correction
    assert segments(world, first)[0]["text"] == FIXED
    learned = [(row.term, row.source, row.created_by) for row in vocabulary(world)]
    assert learned == [("慧销通", "correction", world.manager_id)]

    engine = make_engine(world.db_url)
    try:
        with session_factory(engine)() as session:
            record = session.scalars(
                select(AuditRecord).where(AuditRecord.action == "transcript.corrected")
            ).one()
            assert (record.actor_id, record.subject_id) == (world.manager_id, first)
            assert record.detail["after"] == FIXED and record.detail["learned"] == ["慧销通"]
    finally:
        engine.dispose()

    second = stream(world, "live-2", audio, contacts=["孙建国"])
    assert {s["text"] for s in segments(world, second)} == {FIXED}


def test_who_may_correct_a_transcript(world: World, fixture_audio: Path) -> None:
    call_id = upload(world, fixture_audio / "fx_short.stereo.wav")
    segment_id = segments(world, call_id)[0]["id"]
    path = f"/v1/calls/{call_id}/segments/{segment_id}"
    body = {"text": FIXED}
    with world.http("rep") as http:  # the call's own rep: not theirs to rewrite
        answer = http.patch(path, json=body)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    with world.http("other_manager") as http:  # another org: as if it did not exist
        answer = http.patch(path, json=body)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    with world.http("manager") as http:
        assert http.patch(f"/v1/calls/{call_id}/segments/nope", json=body).status_code == 404
        assert http.patch(path, json={"text": "  "}).status_code == 422
        assert http.patch(path, json={"text": FIXED, "speaker": "rep"}).status_code == 422
    assert vocabulary(world) == []
    assert all(s["text"] == HEARD for s in segments(world, call_id))
