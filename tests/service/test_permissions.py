"""Every cell of the permission table, against the real server on SQLite and PostgreSQL.

The cases are generated from ``copilot.permissions.PERMISSIONS`` itself: for each action,
role and whose data (the caller's own, a team-mate's, another team's, another org's), the
expected answer follows from the table and the visibility rules (docs/permissions.md, "How
a request is answered"). Each case acts on fresh rows, so cases never depend on each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy.orm import Session, sessionmaker

from copilot.analysis import CallSummary
from copilot.auth import principal_for
from copilot.client import ws_url
from copilot.commands.service import running_service
from copilot.crm.filing import FilingTask
from copilot.permissions import ACTIONS, PERMISSIONS, Action, Scope
from copilot.principal import ROLES
from copilot.service.pipeline import Engines
from copilot.store import filing, repo, scorecards
from copilot.store.db import make_engine, session_factory
from copilot.store.models import Call, User, new_id, utcnow
from speech.engine import SpeechEngine
from tests.dbfixtures import BACKENDS, _fresh_database
from tests.service.conftest import service_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
WHOSE = ("own", "team", "org", "other_org")
# What each role can see at all (copilot/store/visibility.py): the 404 boundary.
VISIBLE: dict[str, Scope] = {"rep": "own", "manager": "team", "admin": "org", "integration": "org"}
# Actions with no "whose" (nothing to own but the caller's request).
ROLE_ONLY = {
    "calls.create",
    "audit.read",
    "dashboard.use",
    "crm.lookup",
    "followups.read",
    "scorecards.items",
}
# Actions that take a client's call id: an id no call of the caller's org has is a new call
# of their own, whoever else uses that id (docs/service.md, "Call ids").
NEW_CALL_IDS = {"auth.socket_token", "calls.stream"}
FLAGGED = "我保证上线不延期，再给您打个五折。"


@dataclass
class World:
    url: str
    sessions: sessionmaker[Session]
    actors: dict[str, User]  # role → the acting user (team A where they have a team)
    keys: dict[str, str]  # role → API key
    team_mate: User  # a rep in team A
    other_team: User  # a rep in team B
    other_org: User  # a rep in another org

    def owner(self, role: str, whose: str) -> User:
        return {
            "own": self.actors[role],
            "team": self.team_mate,
            "org": self.other_team,
            "other_org": self.other_org,
        }[whose]


def _build_world(session: Session) -> tuple[dict[str, User], dict[str, str], list[User]]:
    org = repo.create_org(session, "权限公司")
    team_a = repo.create_team(session, org.id, "一组")
    team_b = repo.create_team(session, org.id, "二组")
    other = repo.create_org(session, "别家公司")
    count = iter(range(100))

    def user(org_id: str, role: str, team_id: str | None) -> User:
        return repo.create_user(
            session, org_id, name=role, email=f"u{next(count)}@example.cn", role=role,
            team_id=team_id,
        )  # fmt: skip

    actors = {
        "rep": user(org.id, "rep", team_a.id),
        "manager": user(org.id, "manager", team_a.id),
        "admin": user(org.id, "admin", None),
        "integration": user(org.id, "integration", None),
    }
    keys = {role: repo.create_api_key(session, u)[1] for role, u in actors.items()}
    others = [
        user(org.id, "rep", team_a.id),
        user(org.id, "rep", team_b.id),
        user(other.id, "rep", None),
    ]
    return actors, keys, others


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    engines: Engines,
    speech_engine: SpeechEngine,
) -> Iterator[World]:
    """One server per database for the whole table; every case makes its own rows."""
    folder = tmp_path_factory.mktemp("permissions")
    for db_url in _fresh_database(request, str(request.param), folder, migrated=True):
        engine = make_engine(db_url)
        sessions = session_factory(engine)
        with sessions.begin() as session:
            actors, keys, (mate, other_team, other_org) = _build_world(session)
        settings = service_settings(db_url)
        with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, _):
            yield World(url, sessions, actors, keys, mate, other_team, other_org)
        engine.dispose()


# -- the expected answer, from the table ------------------------------------------------


def _covers(scope: str, role: str, whose: str) -> bool:
    has_team = role in ("rep", "manager")  # the acting admin and integration have none
    if whose == "own":
        return True
    if whose == "team":
        return scope == "org" or (scope == "team" and has_team)
    if whose == "org":
        return scope == "org"
    return False


def expected(action: Action, role: str, whose: str) -> str:
    """``ok``, ``403`` or ``404`` for one cell."""
    scope = PERMISSIONS[action].get(role)  # type: ignore[call-overload]
    if scope is None:
        return "403"
    if whose == "other_org" and action in NEW_CALL_IDS:
        whose = "own"
    if action == "scorecards.decide" and whose == "own":
        return "403"  # nobody decides a dispute they raised (docs/permissions.md)
    if _covers(scope, role, whose):
        return "ok"
    if action == "flags.list":  # a list's filter naming someone out of scope
        return "403"
    return "403" if _covers(VISIBLE[role], role, whose) else "404"


CASES = [
    pytest.param(action, role, whose, id=f"{action}-{role}-{whose}")
    for action in ACTIONS
    for role in ROLES
    for whose in (("own",) if action in ROLE_ONLY else WHOSE)
]


# -- rows and requests per action -------------------------------------------------------


def _call(world: World, owner: User) -> str:
    """A fresh ended call of ``owner`` with a summary."""
    with world.sessions.begin() as session:
        call = repo.create_call(
            session, org_id=owner.org_id, rep_id=owner.id, source="transcript", status="ended"
        )
        call.summary = CallSummary(call_id=call.id, duration_s=1.0, transcript=[]).model_dump(
            mode="json"
        )
        call.ended_at = utcnow()
        return call.id


def _scored_call(world: World, owner: User, *, disputed: bool = False) -> str:
    """A fresh ended call of ``owner``, scored; its budget item disputed by ``owner``."""
    call_id = _call(world, owner)
    with world.sessions.begin() as session:
        call = session.get(Call, call_id)
        assert call is not None
        scorecards.score_call(session, call)
        if disputed:
            scorecards.dispute(session, call, principal_for(owner), "budget", "我问过预算")
    return call_id


def _flag(world: World, owner: User) -> str:
    with world.sessions.begin() as session:
        flag = repo.add_flag(
            session, org_id=owner.org_id, rep_id=owner.id, source="message", text="我保证",
            rule_id="guarantee.test", category="guarantee", severity="high", start=1, end=3,
            match="保证",
        )  # fmt: skip
        return flag.id


async def _socket(world: World, key: str, path: str, first: str | None) -> str:
    """The first error code a socket answers (``4403`` …), or ``closed`` when it just ends."""
    url = ws_url(world.url, path)
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {key}"}) as ws:
        if first is not None:
            with contextlib.suppress(websockets.ConnectionClosed):  # refused before it
                await ws.send(first)
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        except websockets.ConnectionClosed:
            return "closed"
        return str(message.get("code")) if message.get("type") == "error" else "message"


def _dashboard_login(world: World, key: str) -> int:
    with httpx.Client(base_url=world.url) as browser:
        form = browser.get("/dashboard/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = browser.post(
            "/dashboard/login", data={"api_key": key, "csrf_token": token.group(1)}
        )
        return answer.status_code


def _status(ok: int) -> Callable[[httpx.Response], str]:
    def read(answer: httpx.Response) -> str:
        if answer.status_code == ok:
            return "ok"
        assert answer.status_code in (403, 404), answer.text
        assert answer.json()["error"]["code"] in ("forbidden", "not_found"), answer.text
        return str(answer.status_code)

    return read


def _do(action: Action, world: World, http: httpx.Client, role: str, owner: User) -> str:
    """Perform ``action`` on ``owner``'s fresh data as ``role``; ok, 403 or 404."""
    key = world.keys[role]
    if action == "calls.create":
        return _status(202)(http.post("/v1/calls", json={"turns": [["customer", "你好"]]}))
    if action == "calls.read":
        call = _call(world, owner)
        one = _status(200)(http.get(f"/v1/calls/{call}"))
        assert one == _status(200)(http.get(f"/v1/calls/{call}/summary"))
        assert one == _status(200)(http.get(f"/v1/calls/{call}/segments"))
        return one
    if action == "calls.end":
        return _status(200)(http.post(f"/v1/calls/{_call(world, owner)}/end"))
    if action == "calls.edit_summary":
        call = _call(world, owner)
        edit = CallSummary(call_id=call, duration_s=1.0, transcript=[], summary_text="改")
        return _status(200)(http.put(f"/v1/calls/{call}/summary", json=edit.model_dump()))
    if action == "calls.confirm":
        return _status(200)(http.post(f"/v1/calls/{_call(world, owner)}/confirm"))
    if action == "crm.lookup":
        return _status(200)(http.get("/v1/crm/accounts", params={"q": "恒钧"}))
    if action == "followups.read":
        return _status(200)(http.get("/v1/followups"))
    if action == "followups.update":
        call = _call(world, owner)
        with world.sessions.begin() as session:
            row = session.get(Call, call)
            assert row is not None
            filing.save_followups(
                session, row, [FilingTask(id=f"{call}:t", subject="发方案", owner="rep")]
            )
        return _status(200)(http.patch(f"/v1/followups/{call}:t", json={"done": True}))
    if action == "auth.socket_token":
        body = {"call_id": _call(world, owner)}
        return _status(200)(http.post("/v1/auth/socket-token", json=body))
    if action == "compliance.scan":
        body = {"text": FLAGGED, "call_id": _call(world, owner)}
        return _status(200)(http.post("/v1/compliance/scan", json=body))
    if action == "compliance.scan_batch":
        # A refused message is answered in its place; the request itself succeeds.
        message = {"id": "m1", "text": FLAGGED, "call_id": _call(world, owner)}
        answer = http.post("/v1/compliance/scan/batch", json={"messages": [message]})
        assert answer.status_code == 200, answer.text
        (result,) = answer.json()["results"]
        if "error" not in result:
            assert result["id"] == "m1" and result["flag_ids"], result
            return "ok"
        assert result["error"]["code"] in ("forbidden", "not_found"), result
        return {"forbidden": "403", "not_found": "404"}[result["error"]["code"]]
    if action == "compliance.override":
        override = {"flag_ids": [_flag(world, owner)], "reason": "客户坚持"}
        return _status(204)(http.post("/v1/compliance/override", json=override))
    if action == "suggestions.suggest":
        body = {"text": "太贵了", "call_id": _call(world, owner)}
        return _status(200)(http.post("/v1/suggest", json=body))
    if action == "suggestions.feedback":
        body = {"entry_id": "kb-1", "action": "used", "call_id": _call(world, owner)}
        return _status(204)(http.post("/v1/suggestions/feedback", json=body))
    if action == "flags.list":
        flag = _flag(world, owner)
        answer = http.get("/v1/flags", params={"rep_id": owner.id})
        result = _status(200)(answer)
        if result == "ok":
            assert flag in {f["id"] for f in answer.json()}
        return result
    if action == "flags.review":
        return _status(200)(http.post(f"/v1/flags/{_flag(world, owner)}/resolve", json={}))
    if action == "flags.verdict":
        body = {"verdict": "violation"}
        return _status(200)(http.post(f"/v1/flags/{_flag(world, owner)}/verdict", json=body))
    if action == "labels.correct_insight":
        call = _call(world, owner)
        with world.sessions.begin() as session:
            repo.add_segment(
                session, call, segment_id="t1", speaker="customer", start=0.0, end=1.0,
                text="太贵了",
            )  # fmt: skip
        body = {"add": ["objection:price"]}
        return _status(201)(http.post(f"/v1/calls/{call}/segments/t1/labels", json=body))
    if action == "transcripts.correct":
        call = _call(world, owner)
        with world.sessions.begin() as session:
            repo.add_segment(
                session, call, segment_id="t1", speaker="customer", start=0.0, end=1.0,
                text="太贵了",
            )  # fmt: skip
        body = {"text": "太贵了吧"}
        return _status(200)(http.patch(f"/v1/calls/{call}/segments/t1", json=body))
    if action == "flags.reveal":
        return _status(200)(http.post(f"/v1/flags/{_flag(world, owner)}/reveal"))
    if action == "audit.read":
        return _status(200)(http.get("/v1/audit"))
    if action == "dashboard.use":
        return {303: "ok", 403: "403"}[_dashboard_login(world, key)]
    if action == "scorecards.read":
        return _status(200)(http.get(f"/v1/calls/{_scored_call(world, owner)}/scorecard"))
    if action == "scorecards.items":
        return _status(200)(http.get("/v1/scorecard/items"))
    if action == "scorecards.dispute":
        body = {"reason": "我说了"}
        call = _scored_call(world, owner)
        return _status(200)(http.post(f"/v1/calls/{call}/scorecard/budget/dispute", json=body))
    if action == "scorecards.decide":
        call = _scored_call(world, owner, disputed=True)
        body = {"accept": True}
        return _status(200)(http.post(f"/v1/calls/{call}/scorecard/budget/decide", json=body))
    if action == "calls.events":
        code = asyncio.run(_socket(world, key, f"/v1/calls/{_call(world, owner)}/events", None))
        return {"closed": "ok", "4403": "403", "4404": "404"}[code]
    if action == "calls.stream":
        # Past the permission check the server waits for the start header; a wrong one is
        # answered 4400, which shows the socket got that far.
        call = _call(world, owner) if owner.org_id == world.actors[role].org_id else new_id()
        bad = json.dumps({"type": "start", "sample_rate": 12345, "channels": 1})
        code = asyncio.run(_socket(world, key, f"/v1/calls/{call}/audio", bad))
        return {"4400": "ok", "4403": "403", "4404": "404"}[code]
    raise AssertionError(f"no request for {action}: add one")


@pytest.mark.parametrize(("action", "role", "whose"), CASES)
def test_every_cell_of_the_permission_table(
    world: World, action: Action, role: str, whose: str
) -> None:
    owner = world.owner(role, whose)
    with httpx.Client(
        base_url=world.url, headers={"Authorization": f"Bearer {world.keys[role]}"}, timeout=30
    ) as http:
        assert _do(action, world, http, role, owner) == expected(action, role, whose)


# -- the page and the data are one table ------------------------------------------------


def _doc_table() -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and "." in cells[0]:
            action = cells[0].strip("`")
            rows[action] = {
                role: cell for role, cell in zip(ROLES, cells[2:], strict=True) if cell != "—"
            }
    return rows


def test_the_documented_table_is_the_enforced_one() -> None:
    assert _doc_table() == {action: dict(scopes) for action, scopes in PERMISSIONS.items()}


def test_the_failing_cells_of_the_old_code_are_refused() -> None:
    """The defects this table fixed, spelled out."""
    assert expected("calls.end", "manager", "team") == "403"
    assert expected("calls.end", "integration", "org") == "403"
    assert expected("compliance.override", "manager", "team") == "403"
    assert expected("compliance.override", "integration", "own") == "403"
    assert expected("suggestions.feedback", "integration", "own") == "403"
    assert expected("flags.list", "integration", "own") == "403"
    assert expected("flags.list", "rep", "team") == "403"
    assert expected("flags.list", "rep", "own") == "ok"
