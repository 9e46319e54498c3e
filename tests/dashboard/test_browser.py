"""The dashboard in a real browser: the service on a loopback port, Debian's Chromium driven
by Playwright. A rep's messages are flagged through the real API (``/v1/compliance/scan``);
the manager signs in, filters, resolves a flag with a comment and checks the audit page.

Screenshots go to ``tests/dashboard/artifacts/`` (ignored by git) and the one shown in the
docs to ``docs/screenshots/dashboard.png``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot.service.app import create_app
from copilot.service.pipeline import Engines
from copilot.store import repo
from copilot.store.db import make_engine, migrate, session_factory
from tests.screenshots import refresh

from .conftest import dashboard_settings

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "dashboard.png"
CHROMIUM = Path("/usr/bin/chromium")
MESSAGES = [
    "王总，我们保证三个月内回本，效果绝对没问题。",
    "我们的系统是业内第一，市面上没有比我们更好的了。",
    "这个月签的话我可以直接给您打五折。",
    "款项可以直接转到我个人支付宝，更快。",
    "竞品那家公司快倒闭了，他们的产品都是垃圾。",
]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the dev extra is not installed
    sync_playwright = None  # type: ignore[assignment]


def _need_browser() -> None:
    if sync_playwright is not None and CHROMIUM.exists():
        return
    reason = (
        "playwright missing: pip install -e '.[dev]'"
        if sync_playwright is None
        else "Chromium missing: apt-get install -y chromium"
    )
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"the dashboard browser test cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveService:
    url: str
    manager_key: str
    rep_key: str


@pytest.fixture
def live(tmp_path: Path, engines: Engines) -> Iterator[LiveService]:
    """The real app under uvicorn on a free loopback port, with the demo tenant."""
    _need_browser()
    import uvicorn

    db_url = f"sqlite:///{tmp_path / 'copilot.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    with session_factory(engine).begin() as session:
        tenant = repo.ensure_demo_tenant(session)
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
        yield LiveService(f"http://127.0.0.1:{port}", tenant.manager_key, tenant.rep_key)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _flag_messages(service: LiveService) -> None:
    """The rep checks five drafts; the discount one is sent anyway, with a reason."""
    headers = {"Authorization": f"Bearer {service.rep_key}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as api:
        flag_ids = []
        for text in MESSAGES:
            answer = api.post("/v1/compliance/scan", json={"text": text, "channel": "wecom"})
            answer.raise_for_status()
            flag_ids.append(answer.json()["flag_ids"])
        discount = flag_ids[2]
        answer = api.post(
            "/v1/compliance/override",
            json={"flag_ids": discount, "reason": "老客户续约，经理电话里同意了五折"},
        )
        assert answer.status_code == 204, answer.text


def _refresh_docs_screenshot() -> bool:
    """Write the committed screenshot when it is missing or asked for (UPDATE_SCREENSHOTS=1),
    so an ordinary test run leaves the working tree clean."""
    return refresh(DOCS_SCREENSHOT)


def _launch(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def test_a_manager_reviews_flags_in_chromium(live: LiveService) -> None:
    _flag_messages(live)
    ARTIFACTS.mkdir(exist_ok=True)
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            page.goto(f"{live.url}/dashboard")
            expect(page.get_by_role("heading", name="经理看板登录")).to_be_visible()
            page.screenshot(path=ARTIFACTS / "01-login.png")
            page.get_by_label("API 密钥").fill(live.manager_key)
            page.get_by_role("button", name="登录").click()

            expect(page.get_by_role("heading", name="合规标记", exact=True)).to_be_visible()
            rows = page.locator("table.flags tbody tr")
            # 9: the guarantee message also makes an absolute claim (效果绝对没问题).
            expect(rows).to_have_count(9)
            expect(page.locator("table.flags mark").first).to_be_visible()
            expect(page.get_by_text("坚持发送理由：老客户续约")).to_be_visible()
            if _refresh_docs_screenshot():
                # The first screenful: a full page of rows would pass 300 KB.
                page.screenshot(path=DOCS_SCREENSHOT)
            page.screenshot(path=ARTIFACTS / "02-flags.png", full_page=True)

            page.get_by_label("类别").select_option("guarantee")
            page.get_by_role("button", name="筛选").click()
            expect(rows).to_have_count(2)
            assert "category=guarantee" in page.url
            target = rows.filter(has=page.locator("mark", has_text="保证三个月内回本"))
            target.get_by_placeholder("处理备注（可选）").fill("已提醒：回本周期不能承诺")
            target.get_by_role("button", name="解决").click()

            resolved = rows.filter(has=page.locator("mark", has_text="保证三个月内回本"))
            expect(resolved.locator(".badge.status-resolved")).to_have_text("已解决")
            expect(resolved).to_contain_text("备注：已提醒：回本周期不能承诺")
            assert "category=guarantee" in page.url  # back on the same filter
            page.screenshot(path=ARTIFACTS / "03-resolved.png", full_page=True)

            page.get_by_role("link", name="审计日志").click()
            chain = page.locator("#chain-status")
            expect(chain).to_have_attribute("data-ok", "true")
            expect(chain).to_contain_text("审计链完整")
            expect(page.locator("table.audit tbody tr").first).to_contain_text("解决标记")
            expect(page.locator("table.audit")).to_contain_text("已提醒：回本周期不能承诺")
            page.screenshot(path=ARTIFACTS / "04-audit.png", full_page=True)

            page.get_by_role("button", name="退出登录").click()
            expect(page.get_by_role("heading", name="经理看板登录")).to_be_visible()
        finally:
            browser.close()
    assert DOCS_SCREENSHOT.stat().st_size < 300_000
