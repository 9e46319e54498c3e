"""Call ids are the client's, scoped per organisation: another org using the same id first
neither locks its owner out nor learns anything, and the two calls never mix."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.orm import Session

from copilot.principal import Principal
from copilot.store import repo
from copilot.store.db import make_engine, session_factory
from speech.audio import SAMPLE_RATE, decode_file, to_pcm_s16le
from tests.service.conftest import DEVSET_AUDIO, Service
from tests.service.test_sockets import START, audio_url, events_url

CALL = "crm-deal-42"  # a client-chosen, guessable id


def other_org_key(service: Service) -> str:
    engine = make_engine(service.settings.database.url)
    with session_factory(engine).begin() as session:
        org = repo.create_org(session, "别的公司")
        rep = repo.create_user(session, org.id, name="外人", email="x@other.example", role="rep")
        _, key = repo.create_api_key(session, rep, label="test")
    engine.dispose()
    return key


def socket_token(service: Service, key: str, call_id: str) -> httpx.Response:
    return httpx.post(
        f"{service.url}/v1/auth/socket-token",
        json={"call_id": call_id},
        headers={"Authorization": f"Bearer {key}"},
    )


def http(service: Service, key: str) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {key}"})


async def collect(url: str, into: list[dict[str, Any]]) -> None:
    """The call's events until its summary (or until the server closes the socket)."""
    async with websockets.connect(url) as ws:
        async for raw in ws:
            into.append(json.loads(raw))
            if into[-1]["type"] == "call.summary":
                return


async def until_not_live(service: Service, key: str, call_id: str) -> dict[str, Any]:
    with http(service, key) as client:
        for _ in range(600):
            call: dict[str, Any] = client.get(f"/v1/calls/{call_id}").json()
            if call["status"] != "live":
                return call
            await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_id} still live after 60 s")


async def until_stopped(ws: Any) -> dict[str, Any]:
    while (reply := json.loads(await ws.recv()))["type"] != "stopped":
        pass
    return dict(reply)


def test_another_org_taking_an_id_first_locks_nobody_out(service: Service) -> None:
    ours, theirs = service.rep_key, other_org_key(service)
    pcm = to_pcm_s16le(decode_file(DEVSET_AUDIO / "dc02.stereo.wav").samples[:, : 6 * SAMPLE_RATE])

    # The socket-token endpoint answers the same for a free id and another org's.
    their_token = socket_token(service, theirs, CALL).json()["token"]
    taken, free = socket_token(service, ours, CALL), socket_token(service, ours, "never-used")
    assert taken.status_code == free.status_code == 200
    assert taken.json().keys() == free.json().keys()
    our_token = taken.json()["token"]

    async def run() -> dict[str, Any]:
        their_events: list[dict[str, Any]] = []
        our_events: list[dict[str, Any]] = []
        async with websockets.connect(audio_url(service, CALL, their_token)) as their_audio:
            await their_audio.send(json.dumps(START))
            their_start = json.loads(await their_audio.recv())
            their_watch = asyncio.create_task(
                collect(events_url(service, CALL, their_token), their_events)
            )
            async with websockets.connect(audio_url(service, CALL, our_token)) as our_audio:
                await our_audio.send(json.dumps(START))
                our_start = json.loads(await our_audio.recv())
                our_watch = asyncio.create_task(
                    collect(events_url(service, CALL, our_token), our_events)
                )
                await asyncio.sleep(0.5)
                # Their key cannot end our live call, by our stored id or by the shared name.
                with http(service, theirs) as client:
                    assert client.post(f"/v1/calls/{our_start['call_id']}/end").status_code == 404
                for offset in range(0, len(pcm), 6400):
                    await our_audio.send(pcm[offset : offset + 6400])
                # We drop the socket without ``stop``: the call is interrupted, to be ended.
            # It stays live while it recognises what it had received (longer on a slow
            # machine), then it is interrupted.
            interrupted = await until_not_live(service, ours, CALL)
            with http(service, ours) as client:
                ended = client.post(f"/v1/calls/{CALL}/end").json()
            await asyncio.wait_for(our_watch, 60)
            await their_audio.send(json.dumps({"type": "stop"}))
            their_stop = await until_stopped(their_audio)
        await asyncio.wait_for(their_watch, 60)
        return dict(
            their_start=their_start,
            our_start=our_start,
            their_stop=their_stop,
            interrupted=interrupted,
            ended=ended,
            their_events=their_events,
            our_events=our_events,
        )

    seen = asyncio.run(run())
    their_id, our_id = seen["their_start"]["call_id"], seen["our_start"]["call_id"]
    assert their_id == CALL and seen["their_stop"]["call_id"] == CALL
    assert our_id != CALL and not seen["our_start"]["resumed"]
    assert seen["interrupted"]["id"] == our_id and seen["interrupted"]["status"] == "interrupted"
    assert seen["ended"]["status"] == "ended"
    # Each side saw its own call's events and nothing of the other's.
    assert {e["call_id"] for e in seen["our_events"]} == {our_id}
    assert {e["call_id"] for e in seen["their_events"]} == {their_id}
    assert any(e["type"] == "transcript.final" for e in seen["our_events"])
    assert not any(e["type"] == "transcript.final" for e in seen["their_events"])

    with http(service, ours) as client:
        ours_summary = client.get(f"/v1/calls/{CALL}/summary").json()
        assert client.get(f"/v1/calls/{our_id}").json()["id"] == our_id
        assert [c["id"] for c in client.get("/v1/calls").json()] == [our_id]
    with http(service, theirs) as client:
        their_summary = client.get(f"/v1/calls/{CALL}/summary").json()
        assert client.get(f"/v1/calls/{our_id}").status_code == 404
        assert [c["id"] for c in client.get("/v1/calls").json()] == [CALL]
    assert ours_summary["call_id"] == our_id and ours_summary["transcript"]
    assert their_summary["call_id"] == CALL and not their_summary["transcript"]


def test_ending_a_dropped_stream_at_once_summarises_it(service: Service) -> None:
    """The end asked for while the call still recognises what a dropped stream sent: the
    call is summarised from what it kept, not left interrupted."""
    pcm = to_pcm_s16le(decode_file(DEVSET_AUDIO / "dc02.stereo.wav").samples[:, : 6 * SAMPLE_RATE])
    token = socket_token(service, service.rep_key, "dropped-then-ended").json()["token"]

    async def run() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        events: list[dict[str, Any]] = []
        async with websockets.connect(audio_url(service, "dropped-then-ended", token)) as audio:
            await audio.send(json.dumps(START))
            call_id = json.loads(await audio.recv())["call_id"]
            watch = asyncio.create_task(collect(events_url(service, call_id, token), events))
            await asyncio.sleep(0.5)
            for offset in range(0, len(pcm), 6400):
                await audio.send(pcm[offset : offset + 6400])
        with http(service, service.rep_key) as client:
            client.post(f"/v1/calls/{call_id}/end")
        await asyncio.wait_for(watch, 60)
        with http(service, service.rep_key) as client:
            return client.get(f"/v1/calls/{call_id}").json(), events

    call, events = asyncio.run(run())
    assert call["status"] == "ended"
    assert events[-1]["type"] == "call.summary"
    assert any(e["type"] == "transcript.final" for e in events)


def test_the_socket_token_answer_does_not_depend_on_other_orgs(service: Service) -> None:
    theirs = other_org_key(service)
    with http(service, theirs) as client:
        assert client.post("/v1/calls", json={"turns": [["rep", "您好"]]}).status_code == 202
        their_call = client.get("/v1/calls").json()[0]["id"]
    answers = [socket_token(service, service.rep_key, name) for name in (their_call, "free-id")]
    assert [a.status_code for a in answers] == [200, 200]

    # The token opens a new call of our own under that name, not theirs.
    async def start() -> dict[str, Any]:
        token = answers[0].json()["token"]
        async with websockets.connect(audio_url(service, their_call, token)) as ws:
            await ws.send(json.dumps(START))
            started = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "stop"}))
            await until_stopped(ws)
            return dict(started)

    started = asyncio.run(start())
    assert started["type"] == "started" and started["call_id"] != their_call
    with http(service, theirs) as client:
        assert client.get(f"/v1/calls/{their_call}").json()["source"] == "transcript"


# --- the store: one resolution, per org --------------------------------------------------


def _org_with_rep(session: Session, name: str) -> Principal:
    org = repo.create_org(session, name)
    rep = repo.create_user(session, org.id, name=name, email=f"{name}@x.example", role="rep")
    return Principal(org_id=org.id, user_id=rep.id, role="rep")


def test_find_call_resolves_within_the_org_only(db_session: Session) -> None:
    a, b = _org_with_rep(db_session, "a"), _org_with_rep(db_session, "b")
    theirs = repo.create_call(
        db_session, org_id=b.org_id, rep_id=b.user_id, source="stream", client_id="X"
    )
    ours = repo.create_call(
        db_session, org_id=a.org_id, rep_id=a.user_id, source="stream", client_id="X"
    )
    assert (theirs.id, theirs.client_id) == ("X", "X")
    assert ours.id != "X" and ours.client_id == "X"
    for principal, call in ((a, ours), (b, theirs)):
        assert repo.find_call(db_session, principal.org_id, "X") is call
        assert repo.find_call(db_session, principal.org_id, call.id) is call
        assert repo.get_visible_call(db_session, principal, "X") is call
    # Another org's stored id names nothing of ours.
    assert repo.find_call(db_session, b.org_id, ours.id) is None
    assert repo.get_visible_call(db_session, b, ours.id) is None
    # The same org cannot have two calls under one client id.
    with pytest.raises(repo.Conflict):
        repo.create_call(
            db_session, org_id=a.org_id, rep_id=a.user_id, source="stream", client_id="X"
        )
    # The failed insert was rolled back to its savepoint: the transaction goes on.
    assert repo.find_call(db_session, a.org_id, "X") is ours
    db_session.commit()
