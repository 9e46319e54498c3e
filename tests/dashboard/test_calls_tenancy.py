"""The call library's tenancy: another team's or org's call page, recording and search hits
answer exactly as missing ones (404 / absent), on both databases; the recording streams
with Range requests to whoever may see the call."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from copilot.service.pipeline import Engines
from copilot.service.uploads import upload_dir
from copilot.store.models import Call

from .call_rows import add_call
from .conftest import World, client_for, csrf_in, login


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def _wav(seconds: float) -> bytes:
    data = b"\x00\x01" * int(16000 * seconds)
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def _keep_recording(call: Call, uploads: Path) -> bytes:
    root = uploads / "recordings"
    root.mkdir(parents=True, exist_ok=True)
    body = _wav(2.0)
    (root / f"{call.id}.wav").write_bytes(body)
    call.recording_path = f"{call.id}.wav"
    return body


def test_other_teams_and_orgs_calls_are_404_everywhere(
    client: TestClient, db: sessionmaker[Session], world: World, tmp_path: Path
) -> None:
    uploads = upload_dir(client.app.state.service.settings.service.upload_dir)  # type: ignore[attr-defined]
    with db.begin() as s:
        calls = {
            name: add_call(
                s, getattr(world, name), lines=[("customer", f"{name} 的暗号青龙偃月刀")]
            )
            for name in ("rep_a1", "rep_b", "other_rep")
        }
        bodies = {name: _keep_recording(call, uploads) for name, call in calls.items()}
        ids = {name: call.id for name, call in calls.items()}
    login(client, world.keys["王经理"], "/dashboard/calls")
    mine = ids["rep_a1"]
    assert client.get(f"/dashboard/calls/{mine}").status_code == 200
    assert 'id="player"' in client.get(f"/dashboard/calls/{mine}").text
    audio = client.get(f"/dashboard/calls/{mine}/audio")
    assert audio.status_code == 200 and audio.content == bodies["rep_a1"]
    assert audio.headers["accept-ranges"] == "bytes"
    part = client.get(f"/dashboard/calls/{mine}/audio", headers={"Range": "bytes=44-143"})
    assert part.status_code == 206 and part.content == bodies["rep_a1"][44:144]
    assert part.headers["content-range"] == f"bytes 44-143/{len(bodies['rep_a1'])}"

    missing = client.get("/dashboard/calls/0123456789abcdef0123456789abcdef")
    for name in ("rep_b", "other_rep"):
        page = client.get(f"/dashboard/calls/{ids[name]}")
        assert page.status_code == 404 and page.text == missing.text
        assert client.get(f"/dashboard/calls/{ids[name]}/audio").status_code == 404
    hits = client.get("/dashboard/calls", params={"q": "青龙偃月刀"}).text
    assert ids["rep_a1"] in hits
    assert ids["rep_b"] not in hits and ids["other_rep"] not in hits and "rep_b 的" not in hits

    # The admin sees the whole org, never the other one.
    client.cookies.clear()
    login(client, world.keys["孙管理员"], "/dashboard/calls")
    assert client.get(f"/dashboard/calls/{ids['rep_b']}/audio").status_code == 200
    assert client.get(f"/dashboard/calls/{ids['other_rep']}").status_code == 404
    assert client.get(f"/dashboard/calls/{ids['other_rep']}/audio").status_code == 404
    hits = client.get("/dashboard/calls", params={"q": "青龙偃月刀"}).text
    assert ids["rep_b"] in hits and ids["other_rep"] not in hits


def test_reps_cannot_open_the_library(client: TestClient, world: World) -> None:
    form = client.get("/dashboard/login")
    assert form.status_code == 200
    # A rep's key is refused at sign-in (dashboard.use), as for every dashboard page.
    answer = client.post(
        "/dashboard/login",
        data={
            "api_key": world.keys["李销售"],
            "csrf_token": csrf_in(form.text),
            "next": "/dashboard/calls",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert client.get("/dashboard/calls", follow_redirects=False).status_code == 303
