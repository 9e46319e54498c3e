"""The dashboard over HTTP: sign-in, cookies, CSRF, tenancy, filters, reviews, CSV, audit."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from copilot.auth import AuthConfig
from copilot.dashboard import session as cookies
from copilot.dashboard.csv_export import BOM, HEADER
from copilot.service.pipeline import Engines
from copilot.store import audit, repo
from copilot.store.db import make_engine, session_factory
from copilot.store.keys import parse_key
from copilot.store.models import AuditRecord, Flag, utcnow

from .conftest import AUTH_SECRET, World, add_flag, client_for, csrf_in, login, make_world

FORMULA = '=HYPERLINK("http://evil.example","点击")'


@pytest.fixture
def client(db_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    """The app on ``db_url`` (both databases): for the tenancy test."""
    yield from client_for(db_url, engines, tmp_path)


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_world(sqlite_db: sessionmaker[Session]) -> World:
    with sqlite_db.begin() as session:
        return make_world(session)


@pytest.fixture
def app(sqlite_url: str, engines: Engines, tmp_path: Path) -> Iterator[TestClient]:
    """The app on SQLite: for the flows whose SQL the query tests already cover on both."""
    yield from client_for(sqlite_url, engines, tmp_path)


def _row_ids(html: str) -> set[str]:
    return set(re.findall(r'data-flag-id="([0-9a-f]+)"', html))


def _use_cookie(client: TestClient, value: str) -> None:
    """Replace the browser's session cookie (as a user editing it would)."""
    client.cookies.clear()
    client.cookies.set(cookies.COOKIE_NAME, value, domain="testserver.local", path="/dashboard")


def _flag(db: sessionmaker[Session], flag_id: str) -> Flag:
    with db() as session:
        flag = session.get(Flag, flag_id)
        assert flag is not None
        return flag


# -- sign-in ---------------------------------------------------------------------------


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_clears_it(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    first = app.get("/dashboard/flags?category=guarantee", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == (
        "/dashboard/login?next=%2Fdashboard%2Fflags%3Fcategory%3Dguarantee"
    )
    form = app.get(first.headers["location"])
    assert form.status_code == 200 and "经理看板登录" in form.text
    assert 'value="/dashboard/flags?category=guarantee"' in form.text
    key = sqlite_world.keys["王经理"]

    wrong = app.post(
        "/dashboard/login",
        data={"api_key": key[:-1] + "x", "csrf_token": csrf_in(form.text)},
        follow_redirects=False,
    )
    assert wrong.status_code == 401 and "API 密钥无效" in wrong.text
    assert cookies.COOKIE_NAME not in wrong.cookies

    answer = app.post(
        "/dashboard/login",
        data={"api_key": key, "csrf_token": csrf_in(wrong.text), "next": "/dashboard/audit"},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/audit")
    set_cookie = next(
        h for h in answer.headers.get_list("set-cookie") if h.startswith(cookies.COOKIE_NAME)
    )
    for attribute in ("HttpOnly", "SameSite=strict", "Path=/dashboard", "Max-Age=43200"):
        assert attribute.lower() in set_cookie.lower(), set_cookie
    assert "secure" not in set_cookie.lower()  # plain http on loopback
    assert key not in set_cookie  # the cookie never carries the key itself

    page = app.get("/dashboard/audit")
    assert page.status_code == 200 and "王经理 · 经理" in page.text
    with sqlite_db() as session:
        logins = [
            r for r in audit.recent(session, sqlite_world.org_id) if r.action == "dashboard.login"
        ]
    assert [(r.actor_id, r.detail["key_id"]) for r in logins] == [
        (sqlite_world.manager_a.id, parse_key(key).key_id)  # type: ignore[union-attr]
    ]

    refused = app.post("/dashboard/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    out = app.post(
        "/dashboard/logout", data={"csrf_token": csrf_in(page.text)}, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, "/dashboard/login")
    assert app.get("/dashboard/flags", follow_redirects=False).status_code == 303


def test_the_login_form_needs_its_own_csrf_token(app: TestClient, sqlite_world: World) -> None:
    app.get("/dashboard/login")
    answer = app.post(
        "/dashboard/login",
        data={"api_key": sqlite_world.keys["王经理"], "csrf_token": "guess"},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "页面已过期" in answer.text
    assert cookies.COOKIE_NAME not in answer.cookies


def test_reps_get_403_and_no_session(app: TestClient, sqlite_world: World) -> None:
    form = app.get("/dashboard/login")
    answer = app.post(
        "/dashboard/login",
        data={"api_key": sqlite_world.keys["李销售"], "csrf_token": csrf_in(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and "仅供经理和管理员" in answer.text
    assert cookies.COOKIE_NAME not in answer.cookies
    # Even a correctly signed cookie for a rep is refused (a role the page never issues).
    with_rep = cookies.issue(
        sqlite_world.who(sqlite_world.rep_a1),
        parse_key(sqlite_world.keys["李销售"]).key_id,  # type: ignore[union-attr]
        _signing_key(),
    )[0]
    _use_cookie(app, with_rep)
    assert app.get("/dashboard/flags").status_code == 403


def _signing_key() -> bytes:
    """The key the app under test signs its cookies with."""
    return cookies.signing_key(AuthConfig(socket_token_secret=SecretStr(AUTH_SECRET)))


def test_forged_expired_and_revoked_sessions_go_back_to_login(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    login(app, sqlite_world.keys["王经理"])
    good = app.cookies.get(cookies.COOKIE_NAME)
    assert good
    _use_cookie(app, good[:-3] + "AAA")
    assert app.get("/dashboard/flags", follow_redirects=False).status_code == 303
    key_id = parse_key(sqlite_world.keys["王经理"]).key_id  # type: ignore[union-attr]
    old, _ = cookies.issue(
        sqlite_world.who(sqlite_world.manager_a),
        key_id,
        _signing_key(),
        now=utcnow() - timedelta(hours=13),
    )
    _use_cookie(app, old)
    assert app.get("/dashboard/flags", follow_redirects=False).status_code == 303
    # A POST with no valid session is refused outright rather than redirected.
    refused = app.post("/dashboard/flags/x/resolve", data={"csrf_token": "x"})
    assert refused.status_code == 401 and "重新登录" in refused.text

    _use_cookie(app, good)
    assert app.get("/dashboard/flags").status_code == 200
    with sqlite_db.begin() as session:
        repo.revoke_api_key(session, key_id)
    assert app.get("/dashboard/flags", follow_redirects=False).status_code == 303


# -- tenancy (both databases) ----------------------------------------------------------


def test_each_manager_sees_only_their_team_and_never_another_org(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    with db.begin() as session:
        a1 = add_flag(session, world.rep_a1).id
        a2 = add_flag(session, world.rep_a2, category="absolute_claim", match="业内第一").id
        b = add_flag(session, world.rep_b).id
        other = add_flag(session, world.other_rep).id

    csrf = login(client, world.keys["王经理"])
    assert _row_ids(client.get("/dashboard/flags").text) == {a1, a2}
    for hidden in (b, other, "0" * 32):
        page = client.get(f"/dashboard/flags/{hidden}")
        assert page.status_code == 404 and "不存在，或您无权查看" in page.text
        resolve = client.post(
            f"/dashboard/flags/{hidden}/resolve", data={"csrf_token": csrf, "comment": "x"}
        )
        assert resolve.status_code == 404
    assert _flag(db, b).status == "open"
    csv_ids = {row[-1] for row in csv.reader(io.StringIO(client.get("/dashboard/flags.csv").text))}
    assert {a1, a2} <= csv_ids and not {b, other} & csv_ids
    client.cookies.clear()

    login(client, world.keys["吴经理"])
    assert _row_ids(client.get("/dashboard/flags").text) == {other}
    assert client.get(f"/dashboard/flags/{a1}").status_code == 404
    audit_page = client.get("/dashboard/audit").text
    assert world.org_id not in audit_page and "王经理" not in audit_page
    client.cookies.clear()

    login(client, world.keys["孙管理员"])
    assert _row_ids(client.get("/dashboard/flags").text) == {a1, a2, b}


# -- filters, pages, summary -----------------------------------------------------------


def test_filters_narrow_the_table_and_bad_values_are_400(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    w = sqlite_world
    with sqlite_db.begin() as session:
        high = add_flag(session, w.rep_a1).id
        claim = add_flag(session, w.rep_a2, category="absolute_claim", match="业内第一",
                         severity="medium").id  # fmt: skip
        old = add_flag(session, w.rep_a1, created_at=utcnow() - timedelta(days=40)).id
    login(app, w.keys["王经理"])

    def ids(query: str) -> set[str]:
        answer = app.get(f"/dashboard/flags?{query}")
        assert answer.status_code == 200, answer.text
        return _row_ids(answer.text)

    assert ids("") == {high, claim, old}
    assert ids("category=absolute_claim") == {claim}
    assert ids("severity=high&category=") == {high, old}
    assert ids(f"rep={w.rep_a1.id}") == {high, old}
    today = utcnow().date()
    assert ids(f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}") == {high, claim}
    assert ids("status=resolved") == set()
    page = app.get("/dashboard/flags?category=absolute_claim").text
    assert '<option value="absolute_claim" selected>' in page
    assert "<mark>业内第一</mark>" in page
    assert 'href="/dashboard/flags.csv?category=absolute_claim"' in page

    for query, message in [
        ("category=bogus", "类别「bogus」无效"),
        ("severity=urgent", "严重程度"),
        ("from=2025-02-30", "不是有效日期"),
        ("from=2025-03-02&to=2025-03-01", "晚于"),
        ("page=-1", "页码"),
        (f"rep={w.rep_b.id}", "不在您的团队中"),
    ]:
        answer = app.get(f"/dashboard/flags?{query}")
        assert answer.status_code == 400, query
        assert message in answer.text and "请求无效" in answer.text
    assert app.get("/dashboard/flags.csv?category=bogus").status_code == 400


def test_a_nul_in_a_form_or_url_is_refused_and_nothing_changes(
    client: TestClient, db: sessionmaker[Session], world: World
) -> None:
    # PostgreSQL's text cannot hold NUL: it was an internal error once looked up or stored.
    with db.begin() as session:
        flag_id = add_flag(session, world.rep_a1).id
    form = client.get("/dashboard/login")
    refused = client.post(
        "/dashboard/login",
        data={"api_key": "ak_\x00", "csrf_token": csrf_in(form.text)},
        follow_redirects=False,
    )
    assert refused.status_code == 400 and "NUL" in refused.text
    csrf = login(client, world.keys["王经理"])
    comment = client.post(
        f"/dashboard/flags/{flag_id}/acknowledge",
        data={"csrf_token": csrf, "comment": "已提醒\x00销售"},
        follow_redirects=False,
    )
    assert comment.status_code == 400
    assert client.get("/dashboard/flags/a%00b").status_code == 400
    assert _flag(db, flag_id).status == "open"


def test_pagination_and_the_per_rep_summary(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    w = sqlite_world
    with sqlite_db.begin() as session:
        for index in range(53):
            add_flag(session, w.rep_a1 if index % 2 else w.rep_a2,
                     severity="high" if index < 10 else "low")  # fmt: skip
    login(app, w.keys["王经理"])
    first = app.get("/dashboard/flags").text
    assert len(_row_ids(first)) == 50
    assert "第 1 / 2 页（共 53 条）" in first and 'href="?page=2"' in first
    second = app.get("/dashboard/flags?page=2").text
    assert len(_row_ids(second)) == 3 and not _row_ids(first) & _row_ids(second)
    filtered = app.get("/dashboard/flags?severity=low").text
    assert "当前筛选共 43 条" in filtered and 'class="pager"' not in filtered
    summary = first.split('aria-label="按销售统计"')[1].split("</section>")[0]
    assert "赵销售" in summary and "李销售" in summary
    assert re.search(r"赵销售</td>\s*<td class=\"num strong\">27</td>", summary)
    assert "无法兑现的承诺 27" in summary


# -- reviews ---------------------------------------------------------------------------


def test_acknowledge_and_resolve_write_the_audit_trail(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    w = sqlite_world
    with sqlite_db.begin() as session:
        flag_id = add_flag(session, w.rep_a1).id
    csrf = login(app, w.keys["王经理"])
    back = "/dashboard/flags?severity=high#flag-" + flag_id

    no_token = app.post(f"/dashboard/flags/{flag_id}/acknowledge", data={"comment": "x"})
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    as_json = app.post(f"/dashboard/flags/{flag_id}/acknowledge", json={"csrf_token": csrf})
    assert as_json.status_code == 400
    assert _flag(sqlite_db, flag_id).status == "open"

    answer = app.post(
        f"/dashboard/flags/{flag_id}/acknowledge",
        data={"csrf_token": csrf, "comment": "已提醒销售", "back": back},
        follow_redirects=False,
    )
    assert (answer.status_code, answer.headers["location"]) == (303, back)
    assert _flag(sqlite_db, flag_id).status_comment == "已提醒销售"
    answer = app.post(
        f"/dashboard/flags/{flag_id}/resolve",
        data={"csrf_token": csrf, "comment": "客户已收到更正说明", "back": "https://evil.example/"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/dashboard/flags/{flag_id}"
    flag = _flag(sqlite_db, flag_id)
    assert (flag.status, flag.status_comment) == ("resolved", "客户已收到更正说明")
    again = app.post(f"/dashboard/flags/{flag_id}/resolve", data={"csrf_token": csrf})
    assert again.status_code == 409
    too_long = app.post(
        f"/dashboard/flags/{flag_id}/resolve", data={"csrf_token": csrf, "comment": "长" * 2001}
    )
    assert too_long.status_code == 400
    oversize = app.post(
        f"/dashboard/flags/{flag_id}/resolve", data={"csrf_token": csrf, "comment": "x" * 40_000}
    )
    assert oversize.status_code == 413

    with sqlite_db() as session:
        records = session.scalars(
            select(AuditRecord).where(AuditRecord.subject_id == flag_id).order_by(AuditRecord.id)
        ).all()
        assert audit.verify_chain(session, w.org_id).ok
    assert [(r.action, r.actor_id, r.detail["comment"]) for r in records[1:]] == [
        ("flag.acknowledged", w.manager_a.id, "已提醒销售"),
        ("flag.resolved", w.manager_a.id, "客户已收到更正说明"),
    ]
    detail = app.get(f"/dashboard/flags/{flag_id}").text
    assert "解决标记" in detail and "客户已收到更正说明" in detail and "已处理完毕" in detail


# -- CSV -------------------------------------------------------------------------------


def test_csv_export_follows_the_filter_and_defuses_formulas(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    w = sqlite_world
    with sqlite_db.begin() as session:
        evil = add_flag(session, w.rep_a1, text=FORMULA + " 我们保证，绝对", match="保证").id
        add_flag(session, w.rep_a2, category="absolute_claim", match="业内第一")
    assert app.get("/dashboard/flags.csv", follow_redirects=False).status_code == 303
    login(app, w.keys["王经理"])
    answer = app.get("/dashboard/flags.csv?category=guarantee")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"].startswith('attachment; filename="compliance-')
    assert answer.content.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == list(HEADER) and len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["原文"] == "'" + FORMULA + " 我们保证，绝对"
    assert (row["标记 ID"], row["销售"], row["类别"]) == (evil, "李销售", "无法兑现的承诺")
    with sqlite_db() as session:
        exported = [r for r in audit.recent(session, w.org_id) if r.action == "flags.exported"]
    assert exported[0].detail == {"filter": {"category": "guarantee"}}


# -- audit page, errors, headers -------------------------------------------------------


def test_the_audit_page_shows_the_chain_and_a_break(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World
) -> None:
    w = sqlite_world
    with sqlite_db.begin() as session:
        add_flag(session, w.rep_a1)
    login(app, w.keys["孙管理员"])
    page = app.get("/dashboard/audit")
    assert page.status_code == 200
    assert 'id="chain-status" data-ok="true"' in page.text and "审计链完整" in page.text
    assert "新增合规标记" in page.text and "登录仪表盘" in page.text and "孙管理员" in page.text

    # A record slipped in with a made-up link, as a restored or edited backup would show.
    with sqlite_db.begin() as session:
        forged = AuditRecord(
            org_id=w.org_id, actor_id=None, actor_role="system", action="flag.resolved",
            subject_type="flag", subject_id="f", detail={}, created_at=utcnow(),
            prev_hash="f" * 64, hash="e" * 64,
        )  # fmt: skip
        session.add(forged)
        session.flush()
        forged_id = forged.id
    broken = app.get("/dashboard/audit").text
    assert 'data-ok="false"' in broken and f"#{forged_id}" in broken
    assert f'id="audit-{forged_id}" class="broken"' in broken
    assert app.get("/dashboard/audit?page=x").status_code == 400


def test_pages_carry_security_headers_and_the_stylesheet_is_served(
    app: TestClient, sqlite_world: World
) -> None:
    login_page = app.get("/dashboard/login")
    headers = login_page.headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    css_url = re.search(r'href="(/dashboard/static/dashboard\.css\?v=\w+)"', login_page.text)
    assert css_url
    css = app.get(css_url.group(1))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "max-age" in css.headers["cache-control"]
    assert app.get("/dashboard/static/../routes.py").status_code == 404
    assert app.get("/dashboard/static/nope.js").status_code == 404
    assert app.get("/dashboard", follow_redirects=False).headers["location"] == "/dashboard/flags"
    # The API keeps its JSON errors; only the dashboard answers with pages.
    assert app.get("/v1/flags").json()["error"]["code"] == "unauthenticated"


def test_a_database_that_refuses_writes_is_a_page_saying_so_and_nothing_changes(
    app: TestClient, sqlite_db: sessionmaker[Session], sqlite_world: World, sqlite_url: str
) -> None:
    from tests.service.test_live_faults import WriteOutage

    w = sqlite_world
    with sqlite_db.begin() as session:
        flag_id = add_flag(session, w.rep_a1).id
    csrf = login(app, w.keys["王经理"])
    with WriteOutage(sqlite_url) as outage:
        outage.start(60)
        answer = app.post(
            f"/dashboard/flags/{flag_id}/acknowledge",
            data={"csrf_token": csrf, "comment": "已提醒销售"},
            follow_redirects=False,
        )
        outage.until = 0.0
    assert outage.refused >= 1
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "暂时无法使用" in answer.text and "数据库暂时无法访问" in answer.text
    assert "database or disk is full" not in answer.text
    assert "已提醒销售" not in answer.text and "UPDATE" not in answer.text
    assert _flag(sqlite_db, flag_id).status == "open"
