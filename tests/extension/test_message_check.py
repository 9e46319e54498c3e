"""The content script on a local chat page (a textarea with a 发送 button, and a
contenteditable with an icon button): drafts are scanned by the real service before they
are sent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.extension.conftest import ARTIFACTS, Browser, Service, configure

VIOLATION = "我保证上线不延期，给您打五折"
REWRITE = (
    "我们会按双方确认的项目计划推进，每周同步进度，里程碑和延期责任以合同约定为准。"
    "这个价格我需要走特价审批，今天内给您答复。"
)


@pytest.fixture(scope="module")
def checked_site(browser: Browser, service: Service, chat_site: str) -> str:
    configure(browser, service, sites="http://127.0.0.1/*")
    return f"{chat_site}/chat.html"


def open_chat(browser: Browser, url: str) -> Any:
    page = browser.open(url, width=900, height=800)
    page.wait_for_selector("html[data-copilot-check=on]", timeout=10_000)
    return page


def sent(page: Any, prefix: str) -> list[str]:
    return page.eval_on_selector_all(f"#{prefix}-log p.sent", "els => els.map(e => e.textContent)")


def test_high_severity_is_held_with_the_rewrite_and_replace_works(
    browser: Browser, checked_site: str
) -> None:
    page = open_chat(browser, checked_site)
    page.fill("#plain-input", VIOLATION)
    page.click("#plain-send")
    dialog = page.locator("copilot-message-check .box.hold")
    dialog.wait_for(timeout=10_000)
    assert sent(page, "plain") == [], "held: nothing was sent"
    assert dialog.locator("li.flag").count() == 2
    assert "无法兑现的承诺" in dialog.text_content() and "越权折扣" in dialog.text_content()
    assert dialog.locator(".rewrite").text_content() == REWRITE
    page.screenshot(path=str(ARTIFACTS / "message-check-held.png"))

    dialog.locator("button", has_text="替换").click()
    assert page.input_value("#plain-input") == REWRITE
    assert sent(page, "plain") == [], "replacing does not send"
    page.click("#plain-send")  # the rewrite is clean: it goes out after its own check
    page.wait_for_function("() => document.querySelectorAll('#plain-log p.sent').length === 1")
    assert sent(page, "plain") == [REWRITE]
    assert page.input_value("#plain-input") == ""


def test_clean_message_goes_through_on_enter(browser: Browser, checked_site: str) -> None:
    page = open_chat(browser, checked_site)
    page.fill("#plain-input", "您好，方案今天下午发您邮箱")
    page.press("#plain-input", "Enter")
    page.wait_for_function("() => document.querySelectorAll('#plain-log p.sent').length === 1")
    assert sent(page, "plain") == ["您好，方案今天下午发您邮箱"]
    assert page.locator("copilot-message-check .box.hold").count() == 0


def test_edit_closes_the_dialog_and_keeps_the_draft(browser: Browser, checked_site: str) -> None:
    page = open_chat(browser, checked_site)
    page.fill("#plain-input", VIOLATION)
    page.press("#plain-input", "Enter")
    dialog = page.locator("copilot-message-check .box.hold")
    dialog.wait_for(timeout=10_000)
    dialog.locator("button", has_text="修改").click()
    assert page.locator("copilot-message-check .box.hold").count() == 0
    assert page.input_value("#plain-input") == VIOLATION
    assert page.evaluate("() => document.activeElement.id") == "plain-input"
    assert sent(page, "plain") == []


def test_send_anyway_needs_a_reason_and_lands_in_the_audit_trail(
    browser: Browser, service: Service, checked_site: str
) -> None:
    page = open_chat(browser, checked_site)
    page.click("#rich-input")
    page.keyboard.type(VIOLATION)
    page.click("#rich-send")
    dialog = page.locator("copilot-message-check .box.hold")
    dialog.wait_for(timeout=10_000)
    dialog.locator(".buttons button", has_text="仍然发送").click()
    dialog.locator(".anyway button", has_text="确认发送").click()
    assert dialog.locator(".anyway .error").text_content() == "请填写原因"
    assert sent(page, "rich") == []

    reason = "客户合同里已写明延期赔偿条款，折扣已获总监邮件批准"
    dialog.locator(".anyway textarea").fill(reason)
    page.screenshot(path=str(ARTIFACTS / "message-check-send-anyway.png"))
    dialog.locator(".anyway button", has_text="确认发送").click()
    page.wait_for_function("() => document.querySelectorAll('#rich-log p.sent').length === 1")
    assert sent(page, "rich") == [VIOLATION]

    with service.client(service.manager_key) as http:
        flags = http.get("/v1/flags", params={"status": "overridden"}).json()
        audit = http.get("/v1/audit").json()
    ours = [f for f in flags if f["text"] == VIOLATION and f["override_reason"] == reason]
    assert {f["category"] for f in ours} == {"guarantee", "unauthorized_discount"}
    assert all(f["source"] == "message" for f in ours)
    # The reason is in the record's detail (whatever the service names the field).
    overrides = [
        r
        for r in audit["records"]
        if r["action"] == "flag.overridden" and reason in r["detail"].values()
    ]
    assert {r["subject_id"] for r in overrides} == {f["id"] for f in ours}
    assert audit["chain"]["ok"] is True


def test_medium_severity_warns_but_sends(browser: Browser, checked_site: str) -> None:
    page = open_chat(browser, checked_site)
    page.fill("#plain-input", "我们是行业第一，您选我们肯定没错")
    page.click("#plain-send")
    page.wait_for_function("() => document.querySelectorAll('#plain-log p.sent').length === 1")
    warning = page.locator("copilot-message-check .box.warn")
    warning.wait_for(timeout=5_000)
    assert "极限词" in warning.text_content()
    page.screenshot(path=str(ARTIFACTS / "message-check-medium-warning.png"))


def test_unreachable_service_is_said_clearly_and_the_rep_decides(
    browser: Browser, service: Service, checked_site: str
) -> None:
    dead = Service("http://127.0.0.1:9", service.rep_key, "", "", None)  # discard port: refused
    try:
        configure(browser, dead, sites="http://127.0.0.1/*", fail_mode="warn")
        page = open_chat(browser, checked_site)
        page.fill("#plain-input", VIOLATION)
        page.click("#plain-send")
        box = page.locator("copilot-message-check .box.unreachable")
        box.wait_for(timeout=15_000)
        assert "无法连接合规检查服务" in box.text_content()
        assert sent(page, "plain") == []
        page.screenshot(path=str(ARTIFACTS / "message-check-unreachable.png"))
        box.locator("button", has_text="仍然发送").click()
        page.wait_for_function("() => document.querySelectorAll('#plain-log p.sent').length === 1")

        configure(browser, dead, sites="http://127.0.0.1/*", fail_mode="closed")
        page = open_chat(browser, checked_site)
        page.fill("#plain-input", VIOLATION)
        page.press("#plain-input", "Enter")
        box = page.locator("copilot-message-check .box.unreachable")
        box.wait_for(timeout=15_000)
        assert box.locator("button", has_text="仍然发送").count() == 0
        assert box.locator("button", has_text="重试").count() == 1
        box.locator("button", has_text="取消").click()
        assert sent(page, "plain") == []
        assert page.input_value("#plain-input") == VIOLATION
    finally:
        configure(browser, service, sites="http://127.0.0.1/*")


def test_removing_the_site_unregisters_the_check(
    browser: Browser, service: Service, checked_site: str
) -> None:
    # (A site whose permission is still to be granted would show Chrome's prompt, which
    # cannot be answered headless; an emptied list exercises the same unregistering.)
    configure(browser, service, sites="")
    try:
        page = browser.open(checked_site, width=900, height=800)
        page.wait_for_timeout(1000)
        assert page.get_attribute("html", "data-copilot-check") is None
        page.fill("#plain-input", VIOLATION)
        page.click("#plain-send")
        assert sent(page, "plain") == [VIOLATION]
    finally:
        configure(browser, service, sites="http://127.0.0.1/*")
