"""The side panel's live checklist against the real service: a scripted call's
``scorecard.item`` events tick the org's items; a must-say item left unsaid is named; the
rep's scorecard follows once the call is scored, and the rep disputes an item from it."""

from __future__ import annotations

from tests.extension.conftest import ARTIFACTS, Browser, Service, configure, publish_screenshot
from tests.extension.test_sidepanel import attach
from tests.service.test_http import wait_for_summary

TURNS = [
    ["rep", "您好，本次通话会被录音，请您知悉。"],
    ["customer", "好的，你们这个系统怎么收费？"],
    ["rep", "想先了解一下您这边今年的预算范围。"],
    ["customer", "大概二十万，最后要我们老板拍板。"],
    ["rep", "明白，那我下周把方案发您，再约个时间演示。"],
]


def test_checklist_ticks_what_the_rep_said_and_names_the_unsaid(
    browser: Browser, service: Service
) -> None:
    configure(browser, service)
    with service.client() as http:
        items = http.get("/v1/scorecard/items").json()["items"]
        call_id = http.post("/v1/calls", json={"turns": TURNS}).json()["call_id"]
        # Attached once analysed: a scripted call's finals are stored, not published live.
        wait_for_summary(http, call_id)
    panel = browser.open("sidepanel/index.html", width=320, height=900)
    attach(panel, call_id)
    panel.wait_for_selector("#checklist li.check-item", timeout=30_000)
    panel.wait_for_selector("#checklist li[data-key=next_step].ticked", timeout=60_000)
    ticked = panel.eval_on_selector_all(
        "#checklist li.ticked", "els => els.map(e => e.dataset.key)"
    )
    assert ticked == ["recording_notice", "budget", "next_step"]
    assert panel.locator("#checklist li.check-item").count() == len(items) == 5
    assert panel.text_content("#checklist h2") == "通话清单（3/5）"
    # 自报家门 is must-say and was never said: named once the call ended.
    panel.wait_for_selector(".checklist-reminder.reminder-missed", timeout=30_000)
    assert panel.text_content(".checklist-reminder") == "本次通话未说：自报家门"
    evidence = panel.get_attribute("#checklist li[data-key=budget]", "title")
    assert evidence == "原话：想先了解一下您这边今年的预算范围。"
    ARTIFACTS.mkdir(exist_ok=True)
    panel.screenshot(path=str(ARTIFACTS / "panel-checklist.png"))  # the checklist on top
    publish_screenshot(ARTIFACTS / "panel-checklist.png", "panel-checklist.png")

    # The scored card: 自报家门 missed; the rep disputes it, the manager decides by API.
    panel.wait_for_selector("#scorecard li[data-key=self_intro].missed", timeout=30_000)
    assert "60 分 · 3/5 项" in (panel.text_content("#scorecard h2") or "")
    panel.click("#scorecard li[data-key=self_intro] button.dispute")
    panel.click("#scorecard li[data-key=self_intro] .dispute-form button")  # no reason yet
    assert panel.text_content("#scorecard .dispute-form .error") == "请写明申诉理由"
    panel.fill("#scorecard li[data-key=self_intro] input", "开场说了公司名，识别漏了")
    panel.click("#scorecard li[data-key=self_intro] .dispute-form button")
    panel.wait_for_selector("#scorecard li[data-key=self_intro][data-dispute=open]")
    shown = panel.text_content("#scorecard li[data-key=self_intro] .dispute-state")
    assert shown == "申诉中 · 理由：开场说了公司名，识别漏了"
    # Passed items can be disputed too; the disputed one offers no second dispute.
    assert panel.locator("#scorecard li[data-key=self_intro] button.dispute").count() == 0
    assert panel.locator("#scorecard li[data-key=budget] button.dispute").count() == 1
    panel.locator("#scorecard").screenshot(path=str(ARTIFACTS / "panel-scorecard.png"))
    publish_screenshot(ARTIFACTS / "panel-scorecard.png", "panel-scorecard.png")
    with service.client() as http:
        card = http.get(f"/v1/calls/{call_id}/scorecard").json()
    said = "原话：想先了解一下您这边今年的预算范围。"
    assert panel.text_content("#scorecard li[data-key=budget] .evidence-line") == said
    item = next(i for i in card["items"] if i["key"] == "self_intro")
    assert item["dispute"]["state"] == "open"
    assert item["dispute"]["reason"] == "开场说了公司名，识别漏了"
    with service.client(service.manager_key) as http:
        decided = http.post(
            f"/v1/calls/{call_id}/scorecard/self_intro/decide",
            json={"accept": True, "comment": "听了录音，确实说了"},
        )
    assert decided.status_code == 200 and decided.json()["dispute"]["state"] == "accepted"
    panel.close()
