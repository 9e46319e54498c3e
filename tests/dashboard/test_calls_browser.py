"""The call library and a call's page in Chromium, at 1400 px and at 390 px (a phone: one
column, nothing wider than the screen): search, jump to the moment, seek the recording.

Screenshots: ``docs/screenshots/calls-1400.png``, ``calls-390.png``, ``call-1400.png``,
``call-390.png`` (written when missing or with UPDATE_SCREENSHOTS=1), and every step to
``tests/dashboard/artifacts/``.
"""

from __future__ import annotations

import math
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from copilot.service.app import create_app
from copilot.service.pipeline import Engines
from copilot.service.uploads import upload_dir
from copilot.store import repo, scorecards
from copilot.store.db import make_engine, migrate, session_factory
from copilot.store.models import utcnow
from tests.screenshots import refresh

from .call_rows import add_call, add_suggestion
from .conftest import dashboard_settings
from .test_browser import ARTIFACTS, REPO, _launch, _need_browser

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the dev extra is not installed
    sync_playwright = None  # type: ignore[assignment]

SHOTS = REPO / "docs" / "screenshots"
CUSTOMERS = ["华为医院", "协和诊所", "同仁堂药业", "滨江实验学校", "东方物流", "星河地产"]
TAGS: list[dict[str, list[str]]] = [
    {"objection": ["price"], "vendor": ["用友"], "flag": ["guarantee"]},
    {"objection": ["timing"], "vendor": ["金蝶"]},
    {"objection": ["competitor", "price"], "vendor": ["销售易"]},
    {},
    {"objection": ["trust"], "flag": ["absolute_claim"]},
    {"vendor": ["用友", "金蝶"]},
]
CRM = ["delivered", None, "pending", "dead", None, "delivered"]


@dataclass
class Seeded:
    url: str
    manager_key: str
    call_id: str


def _tone_wav(seconds: int) -> bytes:
    rate = 8000
    samples = b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
        for i in range(rate * seconds)
    )
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    head = b"RIFF" + struct.pack("<I", 36 + len(samples)) + b"WAVEfmt " + fmt
    return head + b"data" + struct.pack("<I", len(samples)) + samples


@pytest.fixture
def seeded(tmp_path: Path, engines: Engines) -> Iterator[Seeded]:
    _need_browser()
    import uvicorn

    db_url = f"sqlite:///{tmp_path / 'copilot.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    settings = dashboard_settings(db_url, tmp_path)
    root = upload_dir(settings.service.upload_dir) / "recordings"
    root.mkdir(parents=True, exist_ok=True)
    with session_factory(engine).begin() as session:
        tenant = repo.ensure_demo_tenant(session)
        now = utcnow()
        calls = [
            add_call(
                session,
                tenant.rep if i % 3 else tenant.manager,
                customer=CUSTOMERS[i % 6],
                started_at=now - timedelta(hours=5 * i + 1),
                duration_s=120 + 97 * i,
                tags=TAGS[i % 6],
                flags=len(TAGS[i % 6].get("flag", [])),
                crm=CRM[i % 6],
            )  # fmt: skip
            for i in range(12)
        ]
        shown = calls[0]
        add_suggestion(session, shown, tenant.rep, used="used")
        flag = repo.add_flag(
            session, org_id=shown.org_id, rep_id=shown.rep_id, source="speech",
            text="我们保证三个月内回本，效果绝对没问题", rule_id="guarantee.payback",
            category="guarantee", severity="high", start=2, end=4, match="保证",
            suggestion="多数客户在六个月左右看到回报", call_id=shown.id, segment_id="s2",
        )  # fmt: skip
        flag.status = "acknowledged"
        (root / f"{shown.id}.wav").write_bytes(_tone_wav(60))
        shown.recording_path = f"{shown.id}.wav"
        shown.recording_notice_at = shown.started_at
        scorecards.score_call(session, shown)
        call_id = shown.id
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings, engines=engines)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield Seeded(f"http://127.0.0.1:{port}", tenant.manager_key, call_id)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _shoot(page: Any, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    target = SHOTS / f"{name}.png"
    if refresh(target):
        page.screenshot(path=target)  # the first screenful keeps the committed file small


def _fits(page: Any, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow}px wide at {width}px"


def test_the_call_library_and_a_call_in_chromium(seeded: Seeded) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            # bypass_csp: wait_for_function polls by evaluating its predicate in the page, which
            # the dashboard's CSP (no unsafe-eval) refuses when the first check is not yet true.
            page = browser.new_page(
                viewport={"width": 1400, "height": 900}, locale="zh-CN", bypass_csp=True
            )
            page.goto(f"{seeded.url}/dashboard/login?next=/dashboard/calls")
            page.get_by_label("API 密钥").fill(seeded.manager_key)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="通话库")).to_be_visible()
            expect(page.locator("table.calls tbody tr")).to_have_count(12)
            page.get_by_label("全文搜索").fill("用友的方案")
            page.get_by_label("异议类型").select_option("price")
            page.get_by_role("button", name="筛选").click()
            assert "objection=price" in page.url and "q=" in page.url  # bookmarkable
            expect(page.locator("table.calls tbody tr")).to_have_count(4)
            expect(page.locator(".hit mark").first).to_have_text("用友的方案")
            _shoot(page, "calls-1400")

            page.locator(f'.hit[data-call-id="{seeded.call_id}"] a').click()
            expect(page.locator("#seg-s1")).to_be_visible()
            assert page.url.endswith("#seg-s1")
            expect(page.locator(".seg:target")).to_have_count(1)
            player = page.locator("#player")
            page.wait_for_function("document.getElementById('player').readyState >= 1")
            # ?t=10.0 from the hit: the player starts at that moment.
            page.wait_for_function(
                "Math.abs(document.getElementById('player').currentTime - 10) < 0.5"
            )
            page.locator(".insight-commitments a.evidence").click()
            page.wait_for_function(
                "Math.abs(document.getElementById('player').currentTime - 40) < 0.5"
            )
            expect(page.locator("#seg-s4")).to_have_class("seg sp-rep playing", timeout=5000)
            expect(page.locator('[data-entry-id="kb-price-value"]')).to_contain_text("已采用")
            expect(page.locator("#seg-s2 .inline-flag")).to_contain_text("已确认")
            assert player.is_visible()
            # The scorecard: 录音告知 passed, its evidence jumps to the opening line.
            notice = page.locator('#scorecard [data-item="recording_notice"]')
            expect(notice).to_have_attribute("data-passed", "true")
            notice.locator("a.sc-evidence").click()
            assert page.url.endswith("#seg-s0")
            page.goto(f"{seeded.url}/dashboard/calls/{seeded.call_id}")
            _shoot(page, "call-1400")

            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            phone.context.add_cookies(page.context.cookies())
            phone.goto(f"{seeded.url}/dashboard/calls")
            expect(phone.locator("table.calls tbody tr").first).to_be_visible()
            _fits(phone, 390)
            _shoot(phone, "calls-390")
            phone.goto(f"{seeded.url}/dashboard/calls/{seeded.call_id}")
            transcript = phone.locator("section.transcript").bounding_box()
            side = phone.locator("aside.side").bounding_box()
            assert transcript and side and side["y"] >= transcript["y"] + transcript["height"]
            _fits(phone, 390)
            _shoot(phone, "call-390")
        finally:
            browser.close()
    for name in ("calls-1400", "calls-390", "call-1400", "call-390"):
        assert (SHOTS / f"{name}.png").stat().st_size < 400_000
