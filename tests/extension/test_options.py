"""The options page: validation, saving, the connection check and the content-script
registration that follows the site list."""

from __future__ import annotations

from tests.extension.conftest import ARTIFACTS, Browser, Service


def test_options_validate_save_and_register_the_check(browser: Browser, service: Service) -> None:
    browser.reset_storage()
    page = browser.open("options/index.html", width=700, height=1100)
    page.fill("#service-url", "ftp://copilot.example.com")
    page.fill("#api-key", "not-a-key")
    page.fill("#sites", "chat.example.com\n*://*/*")
    page.click("#save")
    errors = page.eval_on_selector_all("#errors li", "els => els.map(e => e.textContent)")
    assert len(errors) == 4, errors
    assert page.text_content("#save-result") == ""
    stored = page.evaluate("async () => await chrome.storage.local.get(null)")
    assert stored == {}, "nothing is saved while the form has errors"

    page.fill("#service-url", service.url + "/")
    page.fill("#api-key", service.rep_key)
    page.fill("#sites", "# 测试聊天页\nhttp://127.0.0.1/* | #plain-send")
    page.click("#test-connection")
    page.wait_for_function(
        "() => document.querySelector('#connection-result').textContent !== '连接中…'"
    )
    assert page.text_content("#connection-result") == "✓ 连接正常"
    page.click("#save")
    page.wait_for_function("() => document.querySelector('#save-result').textContent === '已保存'")
    assert (
        page.text_content("#site-status li")
        == "✓ 已启用：http://127.0.0.1/*（发送按钮：#plain-send）"
    )
    page.screenshot(path=str(ARTIFACTS / "options.png"), full_page=True)

    stored = page.evaluate("async () => await chrome.storage.local.get(null)")
    assert stored["service_url"] == service.url
    assert stored["sites"] == [{"pattern": "http://127.0.0.1/*", "selector": "#plain-send"}]
    assert stored["fail_mode"] == "warn"
    scripts = browser.worker().evaluate(
        "async () => await chrome.scripting.getRegisteredContentScripts()"
    )
    assert [s["matches"] for s in scripts] == [["http://127.0.0.1/*"]]

    page.fill("#service-url", service.url)
    page.fill("#api-key", "cpk_wrong_key_000000")
    page.click("#test-connection")
    page.wait_for_function(
        "() => document.querySelector('#connection-result').textContent !== '连接中…'"
    )
    assert "API Key 无效" in page.text_content("#connection-result")
