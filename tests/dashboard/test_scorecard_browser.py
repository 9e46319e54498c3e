"""The scorecard disputes queue in Chromium: a rep disputes over the API, the manager
decides in the page; screenshots at 1400 and 390 px (docs/screenshots/scorecards-*.png)."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.screenshots import refresh

from .test_browser import (  # noqa: F401
    ARTIFACTS,
    REPO,
    LiveService,
    _launch,
    live,
    sync_playwright,
)

SHOTS = REPO / "docs" / "screenshots"
CALLS = [
    [["rep", "您好，我是云帆科技的小王，本次通话会被录音。"], ["customer", "你们多少钱？"],
     ["rep", "这个要看您的需求。"]],
    [["rep", "您好，本次通话会被录音。"], ["customer", "预算不多，老板拍板。"],
     ["rep", "好的，下周我把方案发您。"]],
]  # fmt: skip
REASONS = {
    "budget": "我问了“这个要看您的需求”，其实是在问预算",
    "self_intro": "开头自我介绍被识别成了杂音",
}


def _disputed_calls(service: LiveService) -> None:
    headers = {"Authorization": f"Bearer {service.rep_key}"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=60) as api:
        for turns, item in zip(CALLS, REASONS, strict=True):
            call_id = api.post("/v1/calls", json={"turns": turns}).json()["call_id"]
            for _ in range(300):
                if api.get(f"/v1/calls/{call_id}").json()["status"] == "ended":
                    break
                time.sleep(0.1)
            answer = api.post(
                f"/v1/calls/{call_id}/scorecard/{item}/dispute", json={"reason": REASONS[item]}
            )
            assert answer.status_code == 200, answer.text


def _shoot(page: Any, name: str) -> None:
    """Into artifacts/ always; into docs/screenshots/ when missing or asked for
    (UPDATE_SCREENSHOTS=1), so an ordinary run leaves the working tree clean."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / name)
    if refresh(SHOTS / name):
        page.screenshot(path=SHOTS / name)


def test_a_manager_decides_disputes_in_chromium(live: LiveService) -> None:  # noqa: F811
    _disputed_calls(live)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            page.goto(f"{live.url}/dashboard/login?next=/dashboard/scorecards")
            page.get_by_label("API 密钥").fill(live.manager_key)
            page.get_by_role("button", name="登录").click()
            expect(page.get_by_role("heading", name="评分申诉")).to_be_visible()
            disputes = page.locator(".sc-dispute")
            expect(disputes).to_have_count(2)
            expect(page.get_by_text(REASONS["budget"])).to_be_visible()
            _shoot(page, "scorecards-1400.png")
            page.set_viewport_size({"width": 390, "height": 844})
            _shoot(page, "scorecards-390.png")
            page.set_viewport_size({"width": 1400, "height": 900})
            target = disputes.filter(has_text="确认预算")
            target.get_by_placeholder("裁定备注（可选）").fill("听了录音，确实问了预算")
            target.get_by_role("button", name="采纳申诉").click()
            expect(disputes).to_have_count(1)
            page.get_by_role("link", name="审计日志").click()
            expect(page.locator("table.audit tbody tr").first).to_contain_text("裁定评分申诉")
        finally:
            browser.close()
    for name in ("scorecards-1400.png", "scorecards-390.png"):
        assert (SHOTS / name).stat().st_size < 300_000
