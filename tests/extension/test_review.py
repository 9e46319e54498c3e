"""The side panel's review before filing, 「关联 CRM」 and 「我的待办」 against the real service:
a devset call (scripted turns, analysed by the service) is opened in the panel at 320 px; the
rep links it to a remembered CRM account, fixes a misheard word in the summary, skips a
field, confirms (twice, quickly) and ticks the follow-up it produced done. What the UI did
is checked through the API, the audit trail and the CRM outbox."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from tests.extension.conftest import (
    ARTIFACTS,
    REPO,
    Browser,
    Service,
    configure,
    publish_screenshot,
)
from tests.extension.test_sidepanel import assert_fits, attach

CALLS = REPO.parent / "shared" / "devset" / "calls.json"
ACCOUNT = {
    "account_id": "ACC-7788",
    "account_name": "华润万家门店事业部",
    "opportunity_id": "OPP-2026-031",
    "opportunity_name": "门店陈列巡检项目",
    "contact_id": "CON-0412",
    "contact_name": "赵总",
}


def devset_turns() -> list[list[str]]:
    """dc01 with its last line misheard the way issue 14 shows (邮箱 heard as 油箱)."""
    if not CALLS.exists():
        pytest.skip(f"the devset is missing: {CALLS}")
    calls = json.loads(CALLS.read_text(encoding="utf-8"))
    turns: list[list[str]] = [list(t) for t in calls[0]["turns"]]
    assert turns[-1][1].endswith("发到您邮箱。"), turns[-1]
    turns[-1][1] = turns[-1][1].replace("发到您邮箱", "发到你油箱")
    return turns


def analysed_call(http: Any, turns: list[list[str]], customer: str = "") -> str:
    created = http.post("/v1/calls", json={"turns": turns, "customer_name": customer})
    assert created.status_code == 202, created.text
    call_id: str = created.json()["call_id"]
    deadline = time.monotonic() + 120
    while (status := http.get(f"/v1/calls/{call_id}").json()["status"]) == "analysing":
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.2)
    assert status == "ended", status
    return call_id


def shot(page: Any, name: str, locator: str | None = None) -> None:
    path = ARTIFACTS / f"{name}.png"
    if locator:
        page.locator(locator).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    publish_screenshot(path, f"panel-{name}.png")


def audit_actions(service: Service, call_id: str) -> Counter[str]:
    with service.client(service.manager_key) as http:
        trail = http.get("/v1/audit", params={"limit": 1000}).json()
    assert trail["chain"]["ok"], trail["chain"]
    return Counter(r["action"] for r in trail["records"] if r["subject_id"] == call_id)


def outbox_rows(service: Service, call_id: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(service.db_url)
    with engine.connect() as connection:
        count = connection.execute(
            text("select count(*) from crm_outbox where call_id = :c"), {"c": call_id}
        ).scalar_one()
    engine.dispose()
    return int(count)


@pytest.fixture(scope="module")
def configured(browser: Browser, service: Service) -> Browser:
    configure(browser, service)
    return browser


def test_review_edit_skip_link_confirm_and_follow_up(configured: Browser, service: Service) -> None:
    turns = devset_turns()
    with service.client() as http:
        # An earlier call of the org was filed under the account: the service remembers it.
        earlier = analysed_call(http, turns, customer="华润万家")
        linked = http.put(f"/v1/calls/{earlier}/crm", json=ACCOUNT)
        assert linked.status_code == 200, linked.text
        # ...and confirmed with its promise due three days ago: an overdue follow-up.
        steps = http.get(f"/v1/calls/{earlier}/review").json()["fields"][1]
        assert steps["name"] == "next_steps" and steps["value"], steps
        late = (date.today() - timedelta(days=3)).isoformat()
        steps["value"][0].update(what="约钱总做产品演示", due_date=late)
        edited = http.patch(
            f"/v1/calls/{earlier}/review/next_steps", json={"value": steps["value"]}
        )
        assert edited.status_code == 200, edited.text
        assert http.post(f"/v1/calls/{earlier}/confirm").status_code == 200
        call_id = analysed_call(http, turns)
        review = http.get(f"/v1/calls/{call_id}/review").json()
    fields = {f["name"]: f for f in review["fields"]}
    assert "油箱" in fields["summary_text"]["value"], fields["summary_text"]["value"]
    assert all(f["state"] == "pending" for f in review["fields"])

    panel = configured.open("sidepanel/index.html", width=320, height=1600)
    attach(panel, call_id)
    panel.wait_for_selector("#live-summary article.review .review-field", timeout=60_000)
    shown = panel.eval_on_selector_all(
        "#live-summary .review-field", "els => els.map(e => e.dataset.field)"
    )
    assert shown == [f["name"] for f in review["fields"]]
    # Every item shows the words it came from.
    budget_card = panel.locator('#live-summary [data-field="budget"]')
    assert "原话" in budget_card.text_content()
    assert panel.locator('[data-field="next_steps"] input[type="date"]').count() >= 1
    assert_fits(panel)
    shot(panel, "review-fields", "#live-summary")

    # 「关联 CRM」 on the review: type part of the name, pick the remembered account.
    box = panel.locator("#live-summary .identity-search")
    box.fill("华润")
    panel.wait_for_selector("#live-summary .identity-suggestions button.suggestion-pick")
    pick = panel.locator("#live-summary .identity-suggestions button.suggestion-pick").first
    assert "常用" in pick.text_content() and "ACC-7788" in pick.text_content()
    shot(panel, "identity-picker", "#live-summary .identity")
    pick.click()
    panel.wait_for_selector('#live-summary .identity[data-linked="true"]')

    summary = panel.locator('#live-summary [data-field="summary_text"]')
    area = summary.locator("textarea")
    # A value the service refuses (over 5,000 characters) stays in the box with the reason.
    area.fill("长" * 5001)
    summary.locator("button.approve").click()
    panel.wait_for_function(
        """() => document.querySelector('[data-field="summary_text"] .field-error')
                   .textContent.includes('没有保存')"""
    )
    assert len(area.input_value()) == 5001
    # The fix: 油箱 → 邮箱.
    fixed = fields["summary_text"]["value"].replace("油箱", "邮箱")
    area.fill(fixed)
    assert summary.locator("button.approve").text_content() == "保存并通过"
    summary.locator("button.approve").click()
    panel.wait_for_selector('[data-field="summary_text"][data-state="approved"]:not(.is-dirty)')
    # The promise too, with a due date picked in the date input.
    steps = panel.locator('#live-summary [data-field="next_steps"]')
    steps.locator('input[data-key="what"]').first.fill("把方案和报价发到客户邮箱")
    due = (date.today() + timedelta(days=2)).isoformat()
    steps.locator('input[type="date"]').first.fill(due)
    steps.locator("button.approve").click()
    panel.wait_for_selector('[data-field="next_steps"][data-state="approved"]:not(.is-dirty)')
    competitors = panel.locator('#live-summary [data-field="competitors"]')
    competitors.locator("button.skip").click()
    panel.wait_for_selector('[data-field="competitors"][data-state="skipped"]')
    assert competitors.locator("button.skip").get_attribute("aria-pressed") == "true"
    shot(panel, "review-edited", "#live-summary")

    # Confirm, clicked twice in a row: one confirm goes out.
    panel.eval_on_selector(
        "#live-summary button.confirm", "button => { button.click(); button.click(); }"
    )
    panel.wait_for_function(
        "() => document.querySelector('#live-summary .delivery').textContent.includes('已送达')",
        timeout=30_000,
    )
    # Fields nobody touched were filed as approved, and say so now.
    panel.wait_for_selector('#live-summary [data-field="budget"][data-state="approved"]')
    assert panel.locator('[data-field="summary_text"] textarea').is_disabled()
    assert panel.locator("#live-summary button.confirm").text_content() == "已归档"
    assert_fits(panel)
    shot(panel, "review-confirmed", "#live-summary")

    with service.client() as http:
        after = http.get(f"/v1/calls/{call_id}/review").json()
        call = http.get(f"/v1/calls/{call_id}").json()
        refused = http.patch(f"/v1/calls/{call_id}/review/budget", json={"state": "skipped"})
    states = {f["name"]: f["state"] for f in after["fields"]}
    values = {f["name"]: f["value"] for f in after["fields"]}
    assert after["status"] == "confirmed"
    assert values["summary_text"] == fixed and "邮箱" in values["summary_text"]
    assert values["next_steps"][0]["what"] == "把方案和报价发到客户邮箱"
    assert values["next_steps"][0]["due_date"] == due
    assert states["summary_text"] == "approved" and states["competitors"] == "skipped"
    assert {s for n, s in states.items() if n not in ("summary_text", "competitors")} == {
        "approved"
    }
    assert {k: call["crm"].get(k) for k in ACCOUNT} == ACCOUNT
    assert refused.status_code == 409
    actions = audit_actions(service, call_id)
    assert actions == Counter(
        {
            "call.crm_linked": 1,
            "call.summary_field_edited": 2,
            "call.summary_field_skipped": 1,
            "call.confirmed": 1,
        }
    ), actions
    assert outbox_rows(service, call_id) == 1
    delivered = [r for r in service.crm.requests if r.verified and call_id in r.body.decode()]
    assert len(delivered) == 1, f"{len(delivered)} deliveries of {call_id}"
    # The CRM got the fixed summary and not the skipped competitors.
    filed = json.loads(delivered[0].body)["data"]
    assert filed["summary_text"] == fixed and filed["competitors"] == [], filed

    # 「我的待办」: the commitment became a follow-up; tick it done.
    panel.click(".tabs button[data-tab=followups]")
    panel.wait_for_selector("#tab-followups li.followup", timeout=15_000)
    assert_fits(panel)
    shot(panel, "followups")
    with service.client() as http:
        open_before = http.get("/v1/followups", params={"state": "open"}).json()["followups"]
    mine = [f for f in open_before if f["call_id"] == call_id]
    assert mine and "邮箱" in mine[0]["subject"] and mine[0]["due_date"] == due, open_before
    overdue = [f for f in open_before if f["call_id"] == earlier]
    assert overdue and overdue[0]["due_date"] == late, open_before
    late_row = panel.locator(f'#tab-followups li.followup[data-id="{overdue[0]["id"]}"]')
    assert "overdue" in (late_row.get_attribute("class") or "")
    assert "已逾期" in late_row.text_content()
    assert (
        panel.eval_on_selector(".followup .due.overdue", "el => getComputedStyle(el).color")
        == "rgb(207, 34, 46)"
    )  # --error
    row = panel.locator(f'#tab-followups li.followup[data-id="{mine[0]["id"]}"]')
    assert mine[0]["subject"] in row.text_content()
    row.locator("input[type=checkbox]").check()
    panel.wait_for_selector(f'#tab-followups li.followup.done[data-id="{mine[0]["id"]}"]')
    with service.client() as http:
        done = http.get("/v1/followups", params={"state": "done"}).json()["followups"]
    assert mine[0]["id"] in {f["id"] for f in done}
    assert not [line for line in configured.console if line.startswith("pageerror")], (
        configured.console
    )


def test_identity_picked_before_the_call_is_saved_to_it(
    configured: Browser, service: Service
) -> None:
    """On the live tab the rep picks the account before a call exists; once the panel
    follows a call, the pick is saved to it (and typed ids work as well as a suggestion)."""
    turns = devset_turns()
    panel = configured.open("sidepanel/index.html", width=320)
    live = panel.locator("#identity-live")
    live.locator("details.identity-manual summary").click()
    live.locator('input[data-key="account_id"]').fill("ACC-1")
    live.locator('input[data-key="account_name"]').fill("手填客户")
    live.locator("button.save-identity").click()
    panel.wait_for_function(
        """() => document.querySelector('#identity-live .identity-status')
                   .textContent.includes('通话开始后')"""
    )
    with service.client() as http:
        call_id = analysed_call(http, turns[:4])
    attach(panel, call_id)
    panel.wait_for_selector('#identity-live .identity[data-linked="true"]', timeout=15_000)
    with service.client() as http:
        crm = http.get(f"/v1/calls/{call_id}").json()["crm"]
    assert crm["account_id"] == "ACC-1" and crm["account_name"] == "手填客户", crm
    assert_fits(panel)
