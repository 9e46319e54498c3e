"""The call library and the call detail page over HTTP (real app, SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from copilot.dashboard.present import DISPLAY_TZ
from copilot.service.pipeline import Engines
from copilot.store.models import utcnow

from .call_rows import add_call, add_suggestion
from .conftest import World, add_flag, client_for, login


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr data-call-id="([0-9a-f]+)"', html)


def test_the_library_filters_sorts_and_searches_within_the_viewers_calls(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    now = utcnow()
    with db.begin() as s:
        long_price = add_call(
            s, world.rep_a1, customer="华为医院", duration_s=1800, flags=3,
            started_at=now - timedelta(days=2),
            tags={"objection": ["price"], "vendor": ["用友"], "flag": ["guarantee"],
                  "account": ["ACME-001"]},
            crm="delivered",
        )  # fmt: skip
        short_plain = add_call(
            s, world.rep_a2, customer="协和诊所", duration_s=90,
            lines=[("customer", "我们再考虑考虑")], started_at=now - timedelta(days=1),
        )  # fmt: skip
        team_b = add_call(s, world.rep_b, tags={"objection": ["price"]})
        other = add_call(s, world.other_rep, tags={"objection": ["price"]})
        ids = (long_price.id, short_plain.id, team_b.id, other.id)
    long_price_id, short_id, team_b_id, other_id = ids
    login(client, world.keys["王经理"], "/dashboard/calls")

    def shown(query: str = "") -> list[str]:
        answer = client.get(f"/dashboard/calls{query}")
        assert answer.status_code == 200, answer.text
        return _ids(answer.text)

    # Manager A: team A's calls only, newest first.
    assert shown() == [short_id, long_price_id]
    assert shown("?sort=duration") == [long_price_id, short_id]
    assert shown("?sort=flags") == [long_price_id, short_id]
    assert shown("?sort=date_asc") == [long_price_id, short_id]
    assert shown("?objection=price") == [long_price_id]
    assert shown("?vendor=用友") == [long_price_id]
    assert shown("?flag=guarantee") == [long_price_id]
    assert shown("?customer=acme") == [long_price_id]  # the account tag, any case
    assert shown("?customer=协和") == [short_id]
    assert shown("?min_min=10") == [long_price_id]
    assert shown("?max_min=1") == [short_id]
    assert shown("?crm=delivered") == [long_price_id]
    assert shown("?crm=none") == [short_id]
    assert shown(f"?rep={world.rep_a2.id}") == [short_id]
    assert shown(f"?team={world.rep_a1.team_id}") == [short_id, long_price_id]
    day = (now - timedelta(days=2)).astimezone(DISPLAY_TZ).date().isoformat()
    assert shown(f"?from={day}&to={day}") == [long_price_id]

    page = client.get("/dashboard/calls", params={"q": "用友的方案"})
    assert _ids(page.text) == [long_price_id]
    assert "<mark>用友的方案</mark>" in page.text
    assert f"/dashboard/calls/{long_price_id}?t=10.0#seg-s1" in page.text
    assert team_b_id not in page.text and other_id not in page.text
    # Two characters: the fallback answers too.
    assert _ids(client.get("/dashboard/calls", params={"q": "考虑"}).text) == [short_id]
    # Chips and CRM state on the row.
    row = client.get("/dashboard/calls", params={"objection": "price"}).text
    assert "价格异议" in row and "用友" in row and "已送达" in row


@pytest.mark.parametrize(
    "query",
    ["?sort=loudest", "?crm=lost", "?min_min=abc", "?min_min=9&max_min=3", "?objection=x",
     "?from=2026-13-01", "?rep=../x", "?team=nope"],
)  # fmt: skip
def test_bad_filters_are_a_400_page(query: str, client: TestClient, world: World) -> None:
    login(client, world.keys["王经理"], "/dashboard/calls")
    assert client.get(f"/dashboard/calls{query}").status_code == 400


def test_the_call_page_shows_transcript_insights_flags_suggestions_and_delivery(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    with db.begin() as s:
        call = add_call(s, world.rep_a1, crm="pending")
        add_suggestion(s, call, world.rep_a1, used="used")
        flag = add_flag(
            s, world.rep_a1, text="我们保证三个月内回本，效果绝对没问题", source="speech"
        )
        flag.call_id, flag.segment_id = call.id, "s2"
        call_id, flag_id = call.id, flag.id
    login(client, world.keys["王经理"], f"/dashboard/calls/{call_id}")
    page = client.get(f"/dashboard/calls/{call_id}")
    assert page.status_code == 200
    html = page.text
    # Transcript with speaker and time; each line is an anchor.
    assert 'id="seg-s1"' in html and "0:10" in html and "我们今年的预算大概五十万" in html
    # Insight evidence jumps to its line (and seeks the player there).
    assert 'class="evidence" href="#seg-s1" data-seek="10.00"' in html
    assert "50 万元" in html and "价格太贵了" in html and "金蝶" in html
    # The flag sits at its line with its review state.
    at_line = html.split('id="seg-s2"')[1].split("</li>")[0]
    assert f'data-flag-id="{flag_id}"' in at_line and "待处理" in at_line
    # The suggestion shown, and that the rep used it.
    assert 'data-entry-id="kb-price-value" data-feedback="used"' in html and "已采用" in html
    assert "投递中" in html and "客户预算五十万" in html
    # No recording kept: transcript only, said so; the page policy allows our script only.
    assert "仅提供文字记录" in html
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = re.search(r'<script src="([^"]+)"', html)
    assert script and client.get(script.group(1)).status_code == 200
