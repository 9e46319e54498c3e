"""Team analytics and the customers' decision chains: the numbers on a hand-made set of
calls (both databases), the pages over HTTP with their tenancy, and the chart pages in
Chromium (screenshots in docs/screenshots/)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from copilot.auth import AuthConfig, principal_for
from copilot.dashboard import session as cookies
from copilot.dashboard.account_queries import account_chain, list_accounts
from copilot.dashboard.analytics_filters import (
    AnalyticsFilter,
    NotVisible,
    parse_analytics_filter,
    resolve_scope,
    week_of,
)
from copilot.dashboard.analytics_queries import Analytics, team_analytics
from copilot.dashboard.filters import FilterError
from copilot.dashboard.queries import org_users, visible_reps
from copilot.service.pipeline import Engines
from copilot.store import repo
from copilot.store.keys import parse_key
from copilot.store.models import (
    Call,
    CallEvent,
    CallMetrics,
    CallTag,
    SuggestionFeedback,
    User,
    utcnow,
)
from copilot.store.tenants import list_teams
from tests.screenshots import refresh

from .conftest import AUTH_SECRET, World, add_flag, client_for, login

NOW = utcnow()
DEPTH_NONE = dict.fromkeys(("budget", "decision", "need", "timeline", "competition"), False)


def add_call(
    session: Session,
    rep: User,
    call_id: str,
    started: datetime,
    *,
    duration: float = 600.0,
    rep_talk: float = 200.0,
    customer_talk: float = 300.0,
    monologue: float = 40.0,
    questions: int = 5,
    interactivity: float = 2.0,
    depth: dict[str, bool] | None = None,
    objections: tuple[int, int] = (0, 0),
    suggestions: tuple[int, int, int] = (0, 0, 0),
    flags: int = 0,
    tags: dict[str, list[str]] | None = None,
    chain: list[dict[str, Any]] | None = None,
    customer: str = "",
) -> None:
    """A call with its metrics and tags as the metrics step would have stored them."""
    depth = {**DEPTH_NONE, **(depth or {})}
    session.add(
        Call(
            id=call_id, org_id=rep.org_id, rep_id=rep.id, source="stream", status="ended",
            started_at=started, duration_s=duration, customer_name=customer,
            summary={"decision_chain": chain or [], "transcript": [{"text": "不读这里"}]},
        )
    )  # fmt: skip
    session.flush()
    session.add(
        CallMetrics(
            call_id=call_id, org_id=rep.org_id, rep_id=rep.id, team_id=rep.team_id,
            started_at=started, week=week_of(started), duration_s=duration,
            rep_talk_s=rep_talk, customer_talk_s=customer_talk,
            talk_ratio=rep_talk / (rep_talk + customer_talk), longest_monologue_s=monologue,
            rep_questions=questions, question_rate=questions / duration * 600,
            interactivity=interactivity, depth_score=20 * sum(depth.values()), depth=depth,
            objections=objections[0], objections_answered=objections[1],
            suggestions_shown=suggestions[0], suggestions_used=suggestions[1],
            suggestions_dismissed=suggestions[2], flags=flags, version=1,
        )
    )  # fmt: skip
    for kind, values in (tags or {}).items():
        for value in values:
            session.add(CallTag(call_id=call_id, org_id=rep.org_id, kind=kind, value=value))
    session.flush()


def suggestion_event(session: Session, call_id: str, seq: int, objection: str,
                     entries: list[str]) -> None:  # fmt: skip
    suggestions = [{"id": e, "kind": "script", "title": e, "text": "…", "tags": [], "score": 0.9}
                   for e in entries]  # fmt: skip
    payload = {"type": "suggestion", "result": {"objection": objection, "suggestions": suggestions}}
    session.add(CallEvent(call_id=call_id, seq=seq, type="suggestion", payload=payload))


def feedback(session: Session, rep: User, call_id: str, entry: str, action: str) -> None:
    session.add(SuggestionFeedback(org_id=rep.org_id, user_id=rep.id, call_id=call_id,
                                   entry_id=entry, action=action))  # fmt: skip


CHAIN_1 = [
    {"name": "部门经理", "role": None, "kind": "person", "order": 1, "evidence": {}},
    {"name": "李总", "role": "财务总监", "kind": "person", "order": 2, "evidence": {}},
]
CHAIN_2 = [
    {"name": "李总", "role": None, "kind": "person", "order": 1, "evidence": {}},
    {"name": "采购委员会", "role": None, "kind": "body", "order": 2, "evidence": {}},
    {"name": "王工", "role": "IT负责人", "kind": "person", "order": None, "evidence": {}},
]


def hand_made_calls(session: Session, w: World) -> None:
    """Team A: two calls in the last two weeks and one too old to count; team B one call;
    the other org one call. Every figure below is worked out in the tests by hand."""
    this_week = NOW - timedelta(seconds=5)  # in the current week whenever the test runs
    last_week = NOW - timedelta(days=7)
    add_call(
        session, w.rep_a1, "c1", this_week, duration=600, rep_talk=200, customer_talk=300,
        monologue=40, questions=5, interactivity=2.0,
        depth={"budget": True, "decision": True, "need": True},
        objections=(2, 1), suggestions=(4, 1, 1), flags=1,
        tags={"objection": ["price"], "vendor": ["纷享销客"], "account": ["ACC-1"]},
        chain=CHAIN_1, customer="华星精密",
    )  # fmt: skip
    add_call(
        session, w.rep_a2, "c2", last_week, duration=300, rep_talk=150, customer_talk=50,
        monologue=90, questions=1, interactivity=4.0, depth={"budget": True},
        objections=(1, 1), suggestions=(2, 2, 0),
        tags={"objection": ["price", "timing"], "vendor": ["纷享销客", "销售易"],
              "account": ["ACC-1"]},
        chain=CHAIN_2, customer="华星精密",
    )  # fmt: skip
    add_call(
        session, w.rep_a1, "c-old", NOW - timedelta(weeks=10), duration=900,
        tags={"vendor": ["旧厂商"], "account": ["ACC-1"]},
    )  # fmt: skip
    add_call(
        session, w.rep_b, "c3", this_week, duration=1200, rep_talk=600, customer_talk=600,
        depth={"timeline": True}, tags={"vendor": ["销售易"], "account": ["ACC-2"]},
        chain=[{"name": "赵董", "kind": "person", "order": None, "evidence": {}}],
        customer="乙方医疗",
    )  # fmt: skip
    add_call(
        session, w.other_rep, "c4", this_week, duration=999,
        tags={"vendor": ["外人厂商"], "account": ["ACC-9"]}, customer="别家客户",
    )  # fmt: skip
    suggestion_event(session, "c1", 1, "price", ["kb-price-1", "kb-price-2"])
    suggestion_event(session, "c2", 1, "timing", ["kb-price-1"])
    feedback(session, w.rep_a1, "c1", "kb-price-1", "used")
    feedback(session, w.rep_a1, "c1", "kb-x", "dismissed")  # never shown: no objection known
    feedback(session, w.rep_a2, "c2", "kb-price-1", "used")
    feedback(session, w.rep_a2, "c2", "kb-price-1", "used")
    feedback(session, w.rep_b, "c3", "kb-price-2", "dismissed")
    manager = w.who(w.manager_a)
    first = add_flag(session, w.rep_a1, created_at=NOW - timedelta(hours=10))
    repo.set_flag_status(session, manager, first.id, "resolved", now=NOW - timedelta(hours=6))
    second = add_flag(session, w.rep_a2, created_at=NOW - timedelta(hours=9))
    repo.set_flag_status(session, manager, second.id, "resolved", now=NOW - timedelta(hours=7))
    # Resolved around the store (no audit record): resolved, but no time to resolve.
    add_flag(session, w.rep_a2, created_at=NOW - timedelta(hours=3)).status = "resolved"
    # Open. Stamped from NOW, as everything here: the weeks are NOW's, and a flag stamped
    # with the clock would fall in the next week when the run crosses midnight (Shanghai).
    add_flag(session, w.rep_a2, category="absolute_claim", match="第一", created_at=NOW)
    add_flag(session, w.rep_a1, created_at=NOW - timedelta(weeks=9))  # too old
    add_flag(session, w.rep_b, created_at=NOW)
    session.flush()


@pytest.fixture
def seeded(db: sessionmaker[Session], world: World) -> World:
    with db.begin() as session:
        hand_made_calls(session, world)
    return world


def _analytics(db: sessionmaker[Session], user: User, **filters: Any) -> Analytics:
    principal = principal_for(user)
    with db() as session:
        users = org_users(session, principal.org_id)
        teams = list_teams(session, principal.org_id)
        analytics_filter = AnalyticsFilter(**filters)
        scope = resolve_scope(principal, analytics_filter, visible_reps(principal, users), teams)
        return team_analytics(session, scope, analytics_filter.week_list(NOW))


def test_a_managers_team_numbers_worked_out_by_hand(
    db: sessionmaker[Session], seeded: World
) -> None:
    data = _analytics(db, seeded.manager_a)
    total = data.total
    assert total.calls == 2  # c1 and c2: not the old call, not team B's, not the other org's
    assert total.duration_s == 900
    assert total.talk_ratio == pytest.approx(350 / 700)
    assert total.avg_monologue_s == pytest.approx(65)
    assert total.question_rate == pytest.approx(6 / 900 * 600)  # 4 per 10 minutes
    assert total.interactivity == pytest.approx((2.0 * 10 + 4.0 * 5) / 15)
    assert total.depth_score == pytest.approx((60 + 20) / 2)
    assert total.depth_share("budget") == 1.0
    assert total.depth_share("decision") == 0.5
    assert total.depth_share("timeline") == 0.0
    assert total.reuse_rate == pytest.approx(3 / 6)
    assert total.answered_share == pytest.approx(2 / 3)
    assert [(t.value, t.calls, t.objections, t.answered) for t in data.objections] == [
        ("price", 2, 3, 2),
        ("timing", 1, 1, 1),
    ]
    assert [(t.value, t.calls) for t in data.vendors] == [("纷享销客", 2), ("销售易", 1)]
    assert set(data.by_rep) == {seeded.rep_a1.id, seeded.rep_a2.id}
    assert data.by_rep[seeded.rep_a2.id].talk_ratio == pytest.approx(0.75)
    weeks = {week_of(NOW - timedelta(seconds=5)), week_of(NOW - timedelta(days=7))}
    assert {week for _, week in data.by_team_week} == weeks
    flags = {row.category: row for row in data.flags}
    assert flags["guarantee"].flags == 3 and flags["guarantee"].resolved == 3
    assert flags["guarantee"].median_resolve_h == pytest.approx(3.0)  # median of 4 h and 2 h
    assert flags["absolute_claim"].flags == 1 and flags["absolute_claim"].median_resolve_h is None
    # The entry shown for a price objection in c1 and a timing one in c2; kb-x never shown.
    assert data.heat.by_objection == {
        ("kb-price-1", "price"): [1, 0],
        ("kb-price-1", "timing"): [2, 0],
        ("kb-x", "none"): [0, 1],
    }
    assert data.heat.by_rep[("kb-price-1", seeded.rep_a2.id)] == [2, 0]
    assert data.heat.entries == ["kb-price-1", "kb-x"]


def test_an_admin_sees_the_org_and_filters_narrow_it(
    db: sessionmaker[Session], seeded: World
) -> None:
    assert _analytics(db, seeded.admin).total.calls == 3
    team_b = seeded.rep_b.team_id
    assert _analytics(db, seeded.admin, team=team_b).total.calls == 1
    assert _analytics(db, seeded.admin, rep=seeded.rep_a2.id).total.calls == 1
    assert _analytics(db, seeded.manager_a, weeks=1).total.calls == 1
    # Twelve weeks reach the old call.
    assert _analytics(db, seeded.manager_a, weeks=12).total.calls == 3


def test_a_manager_cannot_filter_on_another_team(db: sessionmaker[Session], seeded: World) -> None:
    with pytest.raises(NotVisible):
        _analytics(db, seeded.manager_a, team=seeded.rep_b.team_id)
    with pytest.raises(NotVisible):
        _analytics(db, seeded.manager_a, rep=seeded.rep_b.id)
    with pytest.raises(NotVisible):
        _analytics(db, seeded.admin, rep=seeded.other_rep.id)


def test_the_decision_chain_of_an_account_over_its_calls(
    db: sessionmaker[Session], seeded: World
) -> None:
    with db() as session:
        chain = account_chain(session, principal_for(seeded.manager_a), "ACC-1")
        assert chain is not None
        assert chain.name == "华星精密"
        assert [c.id for c in chain.calls] == ["c1", "c2", "c-old"]  # newest first
        members = {m.name: m for m in chain.members}
        assert set(members) == {"部门经理", "李总", "采购委员会", "王工"}
        li = members["李总"]
        assert li.role == "财务总监"  # the last role said (c2 said none)
        assert li.order == 2  # c1 is the latest call that put 李总 in order
        assert sorted(li.call_ids) == ["c1", "c2"]
        assert li.last_mentioned == NOW - timedelta(seconds=5)
        assert members["采购委员会"].kind == "body"
        assert chain.steps == {("部门经理", "李总"): 1, ("李总", "采购委员会"): 1}
        assert chain.approval_order == ["部门经理", "李总"]  # as c1, the latest, said it
        # Team B's account and the other org's do not exist for manager A.
        assert account_chain(session, principal_for(seeded.manager_a), "ACC-2") is None
        assert account_chain(session, principal_for(seeded.admin), "ACC-9") is None
        assert account_chain(session, principal_for(seeded.admin), "ACC-2") is not None
        rows, total = list_accounts(session, principal_for(seeded.manager_a), 1)
        assert [(r.key, r.name, r.calls) for r in rows] == [("ACC-1", "华星精密", 3)]
        assert total == 1
        rows, _ = list_accounts(session, principal_for(seeded.admin), 1, "医疗")
        assert [r.key for r in rows] == ["ACC-2"]


@pytest.mark.parametrize(
    "query", [{"weeks": "0"}, {"weeks": "53"}, {"weeks": "八"}, {"rep": "a b"}, {"team": "../x"}]
)
def test_bad_filter_values_are_refused(query: dict[str, str]) -> None:
    with pytest.raises(FilterError):
        parse_analytics_filter(query)


def test_weeks_are_china_mondays() -> None:
    # Sunday 20:00 UTC is already Monday 04:00 in Beijing.
    assert str(week_of(datetime(2026, 3, 1, 20, 0, tzinfo=UTC))) == "2026-03-02"
    weeks = AnalyticsFilter(weeks=3).week_list(datetime(2026, 3, 4, tzinfo=UTC))
    assert [str(w) for w in weeks] == ["2026-02-16", "2026-02-23", "2026-03-02"]


# -- over HTTP -------------------------------------------------------------------------


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(db_url, engines, tmp_path)


def test_pages_tenancy_and_numbers_over_http(client: TestClient, seeded: World) -> None:
    w = seeded
    login(client, w.keys["王经理"], "/dashboard/analytics")
    page = client.get("/dashboard/analytics")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert 'id="kpi-calls">2<' in html
    assert 'id="kpi-depth">40<' in html and 'id="kpi-reuse">50%<' in html
    assert "李销售" in html and "周销售" not in html  # team B's rep is nowhere
    assert "纷享销客" in html and "外人厂商" not in html
    assert "每确认一项得 20 分" in html  # the depth score's definition is on the page
    for path in (
        f"/dashboard/analytics?team={w.rep_b.team_id}",
        f"/dashboard/analytics?rep={w.rep_b.id}",
        f"/dashboard/analytics?rep={w.other_rep.id}",
        "/dashboard/accounts/ACC-2",
        "/dashboard/accounts/ACC-9",
        "/dashboard/accounts/no-such",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/dashboard/analytics?weeks=99").status_code == 400
    accounts = client.get("/dashboard/accounts")
    assert "/dashboard/accounts/ACC-1" in accounts.text and "ACC-2" not in accounts.text
    account = client.get("/dashboard/accounts/ACC-1")
    assert account.status_code == 200
    assert "部门经理</strong> → <strong>李总" in account.text
    assert "采购委员会" in account.text and "不读这里" not in account.text
    script = client.get("/dashboard/static/vendor/echarts.min.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/dashboard/static/vendor/LICENSE-echarts").status_code == 404

    client.cookies.clear()
    login(client, w.keys["孙管理员"], "/dashboard/analytics")
    assert 'id="kpi-calls">3<' in client.get("/dashboard/analytics").text
    assert client.get("/dashboard/accounts/ACC-2").status_code == 200
    assert client.get("/dashboard/accounts/ACC-9").status_code == 404


def test_a_rep_gets_403_on_every_page(client: TestClient, seeded: World) -> None:
    # A correctly signed session cookie for a rep (the login form never issues one).
    key_id = parse_key(seeded.keys["李销售"]).key_id  # type: ignore[union-attr]
    signing = cookies.signing_key(AuthConfig(socket_token_secret=SecretStr(AUTH_SECRET)))
    value = cookies.issue(seeded.who(seeded.rep_a1), key_id, signing)[0]
    client.cookies.set(cookies.COOKIE_NAME, value, domain="testserver.local", path="/dashboard")
    for path in ("/dashboard/analytics", "/dashboard/accounts", "/dashboard/accounts/ACC-1"):
        assert client.get(path).status_code == 403, path


# -- in Chromium -----------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "docs" / "screenshots"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SHOTS = tuple(
    f"{page}-{width}" for page in ("analytics", "accounts", "account") for width in (1400, 390)
)


def _screenshot(page: Any, name: str) -> None:
    """Into artifacts/ always; into docs/screenshots/ when missing or asked for
    (UPDATE_SCREENSHOTS=1), so an ordinary run leaves the working tree clean."""
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    committed = SCREENSHOTS / f"{name}.png"
    if refresh(committed):
        page.screenshot(path=committed, full_page=True)


OBJECTION_TYPES = ["price", "competitor", "timing", "authority", "need", "trust", "risk"]
VENDORS = ["纷享销客", "销售易", "Salesforce", "用友", "金蝶", "钉钉"]
ENTRIES = {
    "price": ["kb-script-price-roi", "kb-script-price-split"],
    "competitor": ["kb-script-competitor-compare"],
    "timing": ["kb-script-timing-pilot"],
    "authority": ["kb-script-authority-brief"],
    "need": ["kb-case-need-factory"],
    "trust": ["kb-case-trust-reference"],
    "risk": ["kb-script-risk-trial"],
}
CHAIN_POOL = [
    {"name": "设备科", "kind": "body", "order": 1},
    {"name": "张主任", "role": "设备科主任", "kind": "person", "order": 2},
    {"name": "分管副院长", "role": "分管副院长", "kind": "person", "order": 3},
    {"name": "院长办公会", "kind": "body", "order": 4},
    {"name": "李总", "role": "财务总监", "kind": "person", "order": None},
    {"name": "王工", "role": "信息科", "kind": "person", "order": None},
]

ORDERED = [person for person in CHAIN_POOL if person["order"]]
UNORDERED = [person for person in CHAIN_POOL if not person["order"]]


def demo_calls(session: Session, w: World) -> None:
    """Eight weeks of varied calls for both teams (a fixed seed: same screenshots each run)."""
    import random

    rng = random.Random(15)
    n = 0
    for rep in (w.rep_a1, w.rep_a2, w.rep_b, w.manager_b):
        for day in range(0, 56, 2):
            n += 1
            call_id = f"demo{n:03d}"
            duration = rng.uniform(300, 1800)
            rep_share = rng.uniform(0.35, 0.75)
            objections = rng.sample(OBJECTION_TYPES, rng.randint(0, 2))
            depth = {
                k: rng.random() < p
                for k, p in zip(DEPTH_NONE, (0.7, 0.5, 0.8, 0.4, 0.3), strict=True)
            }
            # Half the calls state (a first part of) the approval order; others name people.
            stated = ORDERED[: rng.randint(2, 4)] if day > 10 and rng.random() < 0.5 else []
            chain = [{**person, "evidence": {}} for person in stated] + [
                {**person, "evidence": {}} for person in UNORDERED if rng.random() < 0.4
            ]
            account = "ACC-0001" if n % 3 == 0 else f"ACC-{n % 7:04d}"
            add_call(
                session, rep, call_id, NOW - timedelta(days=day, hours=rng.randint(1, 20)),
                duration=duration, rep_talk=duration * 0.9 * rep_share,
                customer_talk=duration * 0.9 * (1 - rep_share), monologue=rng.uniform(20, 150),
                questions=rng.randint(2, 20), interactivity=rng.uniform(1.0, 6.0), depth=depth,
                objections=(len(objections), rng.randint(0, len(objections))),
                suggestions=(3 * len(objections), len(objections), 1 if objections else 0),
                flags=rng.randint(0, 1),
                tags={"objection": objections, "vendor": rng.sample(VENDORS, rng.randint(0, 2)),
                      "account": [account]},
                chain=chain, customer="华星医疗集团" if account == "ACC-0001" else f"客户{n % 7}",
            )  # fmt: skip
            for seq, objection in enumerate(objections, start=1):
                suggestion_event(session, call_id, seq, objection, ENTRIES[objection])
                for entry in ENTRIES[objection]:
                    if rng.random() < 0.7:
                        feedback(session, rep, call_id, entry, rng.choice(["used", "dismissed"]))
            if rng.random() < 0.3:
                category = rng.choice(["guarantee", "absolute_claim", "unauthorized_discount"])
                flag = add_flag(session, rep, category=category,
                                created_at=NOW - timedelta(days=day, hours=2))  # fmt: skip
                if rng.random() < 0.6:
                    repo.set_flag_status(
                        session, w.who(w.admin), flag.id, "resolved",
                        now=flag.created_at + timedelta(hours=rng.uniform(1, 60)),
                    )  # fmt: skip
    session.flush()


@pytest.fixture
def live_demo(tmp_path: Path, engines: Engines) -> Iterator[tuple[str, World]]:
    """The real app under uvicorn on a loopback port, over a SQLite file of demo calls."""
    import socket
    import threading
    import time

    import uvicorn

    from copilot.service.app import create_app
    from copilot.store.db import make_engine, migrate, session_factory

    from .conftest import dashboard_settings, make_world
    from .test_browser import _need_browser

    _need_browser()
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        world = make_world(session)
        demo_calls(session, world)
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(dashboard_settings(db_url, tmp_path), engines=engines)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", world
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_chart_pages_in_chromium(live_demo: tuple[str, World]) -> None:
    from playwright.sync_api import expect, sync_playwright

    from .test_browser import _launch

    url, world = live_demo
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            for width, height in ((1400, 900), (390, 844)):
                page = browser.new_page(viewport={"width": width, "height": height},
                                        locale="zh-CN")  # fmt: skip
                page.on("pageerror", lambda error: problems.append(str(error)))
                # A failed load is reported by URL below (the browser's own favicon ask aside).
                page.on("console", lambda message: problems.append(message.text)
                        if message.type in ("error", "warning")
                        and not message.text.startswith("Failed to load resource")
                        else None)  # fmt: skip
                page.on("response", lambda response: problems.append(response.url)
                        if response.status >= 400 and not response.url.endswith("/favicon.ico")
                        else None)  # fmt: skip
                page.goto(f"{url}/dashboard/login?next=/dashboard/analytics")
                page.get_by_label("API 密钥").fill(world.keys["孙管理员"])
                page.get_by_role("button", name="登录").click()
                expect(page.get_by_role("heading", name="团队分析")).to_be_visible()
                # Every chart drew on its canvas (the script ran under the page's CSP).
                expect(page.locator("html")).to_have_attribute("data-charts", "7")
                expect(page.locator('[data-chart="heat"] canvas')).to_have_count(1)
                page.get_by_role("button", name="讲话占比").click()
                expect(page.get_by_role("button", name="讲话占比")).to_have_attribute(
                    "aria-pressed", "true"
                )
                page.get_by_role("button", name="按销售").click()
                expect(page.locator("#rep-table")).to_contain_text("李销售")
                page.wait_for_timeout(800)  # let the charts' entry animation finish
                _screenshot(page, f"analytics-{width}")

                page.get_by_role("link", name="客户决策链").click()
                expect(page.get_by_role("link", name="华星医疗集团")).to_be_visible()
                _screenshot(page, f"accounts-{width}")
                page.get_by_role("link", name="华星医疗集团").click()
                expect(page.get_by_role("heading", name="决策链图谱")).to_be_visible()
                expect(page.locator("html")).to_have_attribute("data-charts", "1")
                expect(page.locator("#member-table")).to_contain_text("院长办公会")
                page.wait_for_timeout(1500)  # the force layout settles
                _screenshot(page, f"account-{width}")
                page.close()
        finally:
            browser.close()
    assert problems == []
    for name in SHOTS:
        assert (SCREENSHOTS / f"{name}.png").stat().st_size < 900_000
