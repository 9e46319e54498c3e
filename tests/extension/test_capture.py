"""Audio capture through the offscreen document: Chromium's fake microphone plays a
committed Mandarin recording; the offscreen document resamples it to 16 kHz, frames it as
stereo PCM (rep left) and streams it to the real audio WebSocket; the panel shows what the
service recognised.

Tab capture cannot be exercised headless: ``tabCapture.getMediaStreamId`` needs the
extension to have been invoked on the tab (a click on its toolbar icon), which no test
driver can perform. The test checks that this case is reported clearly and that the
microphone still streams.
"""

from __future__ import annotations

import difflib
import json

from tests.extension.conftest import ARTIFACTS, MIC_WAV, Browser, Service, configure


def rep_turns() -> list[str]:
    timeline = json.loads(MIC_WAV.with_name("fx_short.timeline.json").read_text(encoding="utf-8"))
    return [turn["text"] for turn in timeline]


def test_microphone_is_captured_offscreen_and_streamed(
    browser: Browser, service: Service, chat_site: str
) -> None:
    configure(browser, service)
    call_page = browser.open(f"{chat_site}/chat.html", width=900)
    panel = browser.open("sidepanel/index.html", width=340, height=1200)
    # The panel was not opened from the toolbar icon on the call's tab (impossible headless):
    # point it at a real tab anyway, so the tab-capture refusal is the real one.
    panel.evaluate(
        """async (url) => {
          const tabs = await chrome.tabs.query({});
          const [tab] = tabs.filter(t => t.url === url || t.pendingUrl === url);
          const target = {id: tab ? tab.id : -1, window_id: 0, title: ""};
          await chrome.storage.session.set({target_tab: target});
        }""",
        call_page.url,
    )
    panel.fill("#customer-name", "刘主任")
    panel.click("#capture-toggle")
    panel.wait_for_selector("#capture-status[data-status=streaming]", timeout=30_000)
    status = panel.text_content("#capture-status")
    assert "麦克风 ✓" in status and "标签页 ✗" in status, status
    assert "无法录制标签页声音" in status or "没有可录制的标签页" in status, status
    assert panel.text_content("#capture-toggle") == "停止录音"

    # The panel follows the call it started; the fake microphone's speech comes back as the
    # rep's words.
    panel.wait_for_selector("#connection[data-state=open]", timeout=15_000)
    panel.wait_for_selector(".utterance.final.rep", timeout=60_000)
    panel.screenshot(path=str(ARTIFACTS / "panel-capture-streaming.png"), full_page=True)
    call_id = panel.evaluate(
        "async () => (await chrome.storage.session.get('capture')).capture.call_id"
    )
    with service.client() as http:
        call = http.get(f"/v1/calls/{call_id}").json()
    assert call["status"] == "live" and call["source"] == "stream"
    assert call["customer_name"] == "刘主任"

    # The rep never told the customer the call is recorded (a must-say checklist item): the
    # first press reminds instead of stopping, the second stops.
    panel.click("#capture-toggle")
    reminder = panel.wait_for_selector(".checklist-reminder.reminder-stop", timeout=10_000)
    assert reminder is not None and "录音告知" in (reminder.text_content() or "")
    assert panel.text_content("#capture-toggle") == "停止录音"
    panel.click("#capture-toggle")
    panel.wait_for_selector("#capture-status[data-status=stopped]", timeout=60_000)
    panel.wait_for_selector("#live-summary article.summary", timeout=60_000)
    heard = panel.eval_on_selector_all(
        ".utterance.final.rep .text", "els => els.map(e => e.textContent)"
    )
    best = max(
        difflib.SequenceMatcher(None, text, turn).ratio() for text in heard for turn in rep_turns()
    )
    assert best > 0.5, (heard, rep_turns())
    customer = panel.locator(".utterance.final.customer").count()
    assert customer == 0, "the microphone is the rep's channel only"
    with service.client() as http:
        call = http.get(f"/v1/calls/{call_id}").json()
    assert call["status"] == "ended", call
    assert call["duration_s"] > 3
    panel.screenshot(path=str(ARTIFACTS / "panel-capture-stopped.png"), full_page=True)
    offscreen = [c for c in browser.console if "offscreen" in c.lower() and "error" in c.lower()]
    assert not offscreen, offscreen


def test_capture_without_settings_says_what_to_do(browser: Browser) -> None:
    browser.reset_storage()
    panel = browser.open("sidepanel/index.html", width=340)
    assert panel.is_visible("#notice")
    panel.click("#capture-toggle")
    panel.wait_for_selector("#capture-status[data-status=error]", timeout=10_000)
    assert "尚未配置服务地址和 API Key" in panel.text_content("#capture-status")
