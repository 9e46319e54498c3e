"""The dashboard masks personal numbers (pages and CSV), reveals them to an admin only and
audits it, and shows a manager only their team's audit records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from copilot.service.pipeline import Engines
from copilot.store import audit

from .conftest import World, add_flag, client_for, login

PHONE = "13912345678"
SAID = f"老客户李总的手机是{PHONE}，您直接问他"


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def test_pages_and_export_mask_and_only_an_admin_reveals(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    with db.begin() as session:
        flag_id = add_flag(session, world.rep_a1, text=SAID, match=PHONE, category="privacy").id
    login(client, world.keys["王经理"])
    listing = client.get("/dashboard/flags").text
    detail = client.get(f"/dashboard/flags/{flag_id}").text
    exported = client.get("/dashboard/flags.csv").content.decode("utf-8-sig")
    for shown in (listing, detail, exported):
        assert PHONE not in shown and "139****5678" in shown
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[1][6] == "139****5678" and rows[1][7] == SAID.replace(PHONE, "139****5678")
    assert 'id="reveal"' not in detail
    assert client.get(f"/dashboard/flags/{flag_id}?reveal=1").status_code == 403

    client.cookies.clear()
    login(client, world.keys["孙管理员"])
    masked = client.get(f"/dashboard/flags/{flag_id}").text
    assert PHONE not in masked and 'id="reveal"' in masked
    revealed = client.get(f"/dashboard/flags/{flag_id}?reveal=1").text
    assert PHONE in revealed and 'id="revealed"' in revealed
    with db() as session:
        newest = session.scalars(audit.audit_query(world.org_id).limit(1)).one()
        assert (newest.action, newest.subject_id, newest.actor_id) == (
            "flag.revealed", flag_id, world.admin.id,
        )  # fmt: skip
        assert audit.verify_chain(session, world.org_id).ok


def test_a_manager_sees_only_their_teams_audit_records(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    with db.begin() as session:
        mine = add_flag(session, world.rep_a1).id
        theirs = add_flag(session, world.rep_b, text=SAID, match=PHONE, category="privacy").id
    login(client, world.keys["王经理"])
    page = client.get("/dashboard/audit").text
    assert 'data-ok="true"' in page
    assert f"/dashboard/flags/{mine}" in page and f"/dashboard/flags/{theirs}" not in page
    assert world.rep_b.id[:16] not in page and "139****5678" not in page
    client.cookies.clear()
    login(client, world.keys["孙管理员"])
    everything = client.get("/dashboard/audit").text
    assert f"/dashboard/flags/{theirs}" in everything and PHONE not in everything
