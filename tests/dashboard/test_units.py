"""The dashboard's pure parts: session cookies, redirects, filters, match context, CSV cells."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr

from copilot.auth import AuthConfig, Principal
from copilot.dashboard import session as cookies
from copilot.dashboard.csv_export import BOM, HEADER, flags_csv, safe_cell
from copilot.dashboard.deps import safe_next
from copilot.dashboard.filters import FilterError, parse_flag_filter, parse_page
from copilot.dashboard.present import match_in_context
from copilot.store.models import Flag

KEY = b"k" * 32
MANAGER = Principal(org_id="o1", user_id="u1", role="manager", team_id="t1")
NOW = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def test_a_session_cookie_round_trips_and_expires() -> None:
    value, issued = cookies.issue(MANAGER, "key1", KEY, now=NOW)
    session = cookies.verify(value, KEY, now=NOW + timedelta(hours=11))
    assert (session.principal, session.key_id, session.nonce) == (MANAGER, "key1", issued.nonce)
    with pytest.raises(cookies.SessionInvalid, match="expired"):
        cookies.verify(value, KEY, now=NOW + cookies.SESSION_TTL)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature
        lambda v: v.replace(".", ".e30", 1),  # payload swapped for "{}"
        lambda v: "d2" + v[2:],  # version
        lambda v: v + ".x",
        lambda v: "",
        lambda v: "x" * 5000,
    ],
)
def test_a_tampered_cookie_is_refused(mangle: object) -> None:
    value, _ = cookies.issue(MANAGER, "key1", KEY, now=NOW)
    with pytest.raises(cookies.SessionInvalid):
        cookies.verify(mangle(value), KEY, now=NOW)  # type: ignore[operator]


def test_a_cookie_signed_with_another_secret_or_role_edit_is_refused() -> None:
    value, _ = cookies.issue(MANAGER, "key1", KEY, now=NOW)
    with pytest.raises(cookies.SessionInvalid):
        cookies.verify(value, b"z" * 32, now=NOW)
    # Promoting oneself to admin means re-signing, which needs the key.
    version, body, signature = value.split(".")
    payload = cookies._b64decode(body).replace(b'"manager"', b'"admin"')
    forged = f"{version}.{cookies._b64encode(payload)}.{signature}"
    with pytest.raises(cookies.SessionInvalid, match="signature"):
        cookies.verify(forged, KEY, now=NOW)


def test_the_session_key_is_derived_not_the_socket_secret() -> None:
    config = AuthConfig(socket_token_secret=SecretStr("s" * 40))
    assert cookies.signing_key(config) != b"s" * 40
    assert cookies.signing_key(config) == cookies.signing_key(config)


def test_csrf_tokens_are_per_session() -> None:
    _, first = cookies.issue(MANAGER, "key1", KEY, now=NOW)
    _, second = cookies.issue(MANAGER, "key1", KEY, now=NOW)
    token = cookies.csrf_token(first, KEY)
    assert cookies.csrf_valid(first, KEY, token)
    assert not cookies.csrf_valid(second, KEY, token)
    assert not cookies.csrf_valid(first, KEY, None)
    assert not cookies.csrf_valid(first, KEY, "")
    nonce = cookies.new_login_nonce()
    assert cookies.login_token_valid(nonce, KEY, cookies.login_token(nonce, KEY))
    assert not cookies.login_token_valid(None, KEY, cookies.login_token(nonce, KEY))
    assert not cookies.login_token_valid("other", KEY, cookies.login_token(nonce, KEY))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/audit?page=2", "/dashboard/audit?page=2"),
        ("/dashboard", "/dashboard"),
        (
            "/dashboard/flags?category=guarantee#flag-1",
            "/dashboard/flags?category=guarantee#flag-1",
        ),
        ("https://evil.example/dashboard/", "/dashboard/flags"),
        ("//evil.example/dashboard/", "/dashboard/flags"),
        ("/\\evil.example", "/dashboard/flags"),
        ("/dashboard/../v1/flags", "/dashboard/flags"),
        ("/dashboard/%2e%2e/v1", "/dashboard/flags"),
        ("/dashboardx", "/dashboard/flags"),
        ("/dashboard/login", "/dashboard/flags"),
        ("/v1/audit", "/dashboard/flags"),
        ("/dashboard/\r\nSet-Cookie:x", "/dashboard/flags"),
        (None, "/dashboard/flags"),
    ],
)
def test_only_dashboard_paths_are_redirect_targets(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_filters_parse_and_round_trip() -> None:
    params = {
        "rep": "demo-rep",
        "category": "guarantee",
        "severity": "high",
        "status": "open",
        "from": "2025-03-01",
        "to": "2025-03-02",
        "page": "2",
    }
    parsed = parse_flag_filter(params)
    assert parsed.date_to == date(2025, 3, 2)
    # Days are China time: 1 March 00:00 +08:00 is 28 February 16:00 UTC.
    assert parsed.since == datetime(2025, 2, 28, 16, 0, tzinfo=UTC)
    assert parsed.until == datetime(2025, 3, 2, 16, 0, tzinfo=UTC)
    assert parse_flag_filter(dict(parsed.query_items())) == parsed
    assert parse_page(params) == 2
    empty = parse_flag_filter({"rep": "", "category": " ", "from": ""})
    assert not empty.active and empty.query_string() == ""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"category": "bogus"}, "类别「bogus」无效"),
        ({"severity": "critical"}, "严重程度"),
        ({"status": "closed"}, "状态"),
        ({"from": "2025-13-01"}, "不是有效日期"),
        ({"to": "yesterday"}, "不是有效日期"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "晚于"),
        ({"rep": "x'; drop table flags"}, "销售"),
        ({"page": "0"}, "页码"),
        ({"page": "9" * 5000}, "页码"),
        ({"page": "٣"}, "页码"),
    ],
)
def test_bad_filters_say_what_is_wrong(params: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_flag_filter(params)
        parse_page(params)


def _flag(text: str, match: str, start: int, end: int) -> Flag:
    return Flag(
        id="f1", org_id="o", rep_id="r", source="message", text=text, rule_id="x.y",
        category="guarantee", severity="high", start=start, end=end, match=match,
        suggestion="", status="open", created_at=NOW,
    )  # fmt: skip


def test_the_match_is_shown_in_its_context() -> None:
    text = "前面" * 20 + "我们保证效果" + "后面" * 20
    start = text.index("保证")
    shown = match_in_context(_flag(text, "保证", start, start + 2), 4)
    assert (shown.before, shown.match, shown.after) == ("…前面我们", "保证", "效果后面…")
    whole = match_in_context(_flag("保证", "保证", 0, 2), 4)
    assert (whole.before, whole.match, whole.after) == ("", "保证", "")
    # Offsets that do not point at the match are not trusted.
    moved = match_in_context(_flag("我们一定保证", "保证", 0, 2), None)
    assert (moved.before, moved.match) == ("我们一定", "保证")
    lost = match_in_context(_flag("别的话", "保证", 0, 2), None)
    assert (lost.before, lost.match, lost.after) == ("", "保证", "")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 138", "'+86 138"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("我们=保证", "我们=保证"),
        (None, ""),
    ],
)
def test_formula_cells_are_defused(value: str | None, cell: str) -> None:
    assert safe_cell(value) == cell


def test_csv_is_excel_friendly_and_quoted() -> None:
    tricky = _flag('报价 "五折", 含税\n=1+1', "五折", 4, 6)
    chunks = list(flags_csv([tricky], lambda rep: "=cmd|' /C calc'!A0"))
    text = "".join(chunks)
    assert text.startswith(BOM) and "\r\n" in text
    rows = list(csv.reader(io.StringIO(text[len(BOM) :])))
    assert rows[0] == list(HEADER)
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["原文"] == '报价 "五折", 含税\n=1+1'
    assert row["销售"] == "'=cmd|' /C calc'!A0"
    assert row["类别"] == "无法兑现的承诺" and row["严重程度"] == "严重"
    assert row["时间"] == "2025-03-01 16:00:00"  # China time
