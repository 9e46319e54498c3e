// The review before filing, the CRM identity picker and the follow-up list, with a fake API
// (the browser test test_review.py runs them against the real service).

import { ApiError } from "../lib/api.js";
import { dayText, isOverdue } from "../lib/labels.js";
import { followupView, sortFollowups } from "../sidepanel/followups.js";
import { IdentityPicker, identityBody, identityText } from "../sidepanel/identity.js";
import { budgetFrom, fieldEditor, parseWan, toWan } from "../sidepanel/review-fields.js";
import { ReviewCard, approveText } from "../sidepanel/review.js";
import { assert, assertEqual, test } from "./harness.js";

const ev = (text) => ({ utterance_id: "u1", text });

function sampleReview(status = "ended") {
  return {
    call_id: "c1",
    status,
    customer_name: "华润万家",
    identity: {},
    delivery: null,
    fields: [
      { name: "summary_text", label: "总结", state: "pending", value: "方案发到你油箱。" },
      {
        name: "next_steps",
        label: "下一步与承诺",
        state: "pending",
        value: [{ who: "rep", what: "发方案和报价", due: "周四之前", due_date: "2026-12-10", evidence: ev("周四之前发您") }],
      },
      { name: "budget", label: "预算", state: "pending", value: { amount_min: 480000, amount_max: 720000, period: "year", evidence: ev("大概六十万") } },
      { name: "competitors", label: "竞品", state: "pending", value: [{ name: "销售易", evidence: ev("销售易也在谈") }] },
    ],
  };
}

// A fake service: PATCH applies the change to its review, every call is recorded.
function fakeApi({ failPatch = null, confirmDelayMs = 30 } = {}) {
  const review = sampleReview();
  const calls = [];
  const api = {
    calls,
    review,
    getReview: async () => structuredClone(review),
    patchReview: async (callId, name, change) => {
      calls.push(["patch", name, change]);
      if (failPatch) throw failPatch;
      const field = review.fields.find((f) => f.name === name);
      if ("value" in change) {
        field.value = change.value;
        field.state = "approved";
      }
      if (change.state) field.state = change.state;
      return structuredClone(review);
    },
    confirm: async (callId) => {
      calls.push(["confirm", callId]);
      await new Promise((resolve) => setTimeout(resolve, confirmDelayMs));
      review.status = "confirmed";
      return { call_id: callId, delivery: { status: "delivered", attempts: 1 } };
    },
    getCall: async () => ({ delivery: { status: "delivered" } }),
    setCrm: async (callId, identity) => {
      calls.push(["crm", callId, identity]);
      return { identity, customer_name: "华润万家" };
    },
    searchAccounts: async (q) => ({ accounts: [{ account_id: "A-1", account_name: `${q}集团`, source: "remembered" }], lookup_error: null }),
  };
  return api;
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

async function mounted(api) {
  const container = document.createElement("div");
  document.body.append(container);
  const card = new ReviewCard(container, { api, callId: "c1" });
  await card.load();
  return { container, card, field: (name) => container.querySelector(`[data-field="${name}"]`) };
}

test("review: 万元 parsing and budget checks", () => {
  assertEqual([parseWan("60"), parseWan(" 1.5 "), parseWan(""), Number.isNaN(parseWan("六十"))], [600000, 15000, null, true]);
  assertEqual(toWan(480000), "48");
  assertEqual(budgetFrom({ amount_min: 1, period: "year" }, "50", "80").value, { amount_min: 500000, period: "year", amount_max: 800000 });
  assertEqual(budgetFrom({}, "", "").ok, false);
  assertEqual(budgetFrom({}, "90", "80").ok, false);
});

test("review: list editors keep unseen keys, edit and remove rows", () => {
  let changes = 0;
  const items = [
    { name: "钱总", role: "运营副总", order: 2, evidence: ev("钱总同意") },
    { name: "赵总", role: null, evidence: ev("赵总") },
  ];
  const editor = fieldEditor("decision_chain", items, () => changes++);
  assert(!editor.dirty(), "fresh editor is clean");
  const name = editor.node.querySelector('input[data-key="name"]');
  name.value = "钱总监";
  name.dispatchEvent(new Event("input"));
  assert(editor.dirty() && changes === 1, "typing marks it dirty");
  editor.node.querySelectorAll("button.remove")[1].click();
  const read = editor.read();
  assertEqual(read.value, [{ name: "钱总监", role: "运营副总", order: 2, evidence: ev("钱总同意") }]);
  name.value = " ";
  assertEqual(editor.read().ok, false, "an empty name is refused");
});

test("review: a commitment's due date is a date input", () => {
  const editor = fieldEditor("next_steps", sampleReview().fields[1].value, null);
  const date = editor.node.querySelector('input[type="date"]');
  assertEqual(date.value, "2026-12-10");
  date.value = "";
  assertEqual(editor.read().value[0].due_date, null);
  assert(editor.node.textContent.includes("原话：「周四之前发您」"), "evidence shown");
});

test("review: approve button text", () => {
  assertEqual([approveText("pending", false), approveText("approved", false), approveText("skipped", true)], ["通过", "已通过 ✓", "保存并通过"]);
});

test("review: an edit is one PATCH with the value, a skip one with the state", async () => {
  const api = fakeApi();
  const { container, field } = await mounted(api);
  const area = field("summary_text").querySelector("textarea");
  area.value = "方案发到你邮箱。";
  area.dispatchEvent(new Event("input"));
  assertEqual(field("summary_text").querySelector("button.approve").textContent, "保存并通过");
  field("summary_text").querySelector("button.approve").click();
  await tick(5);
  field("competitors").querySelector("button.skip").click();
  await tick(5);
  assertEqual(api.calls, [
    ["patch", "summary_text", { value: "方案发到你邮箱。" }],
    ["patch", "competitors", { state: "skipped" }],
  ]);
  assertEqual(field("summary_text").dataset.state, "approved");
  assertEqual(field("competitors").dataset.state, "skipped");
  assertEqual(field("competitors").querySelector("button.skip").getAttribute("aria-pressed"), "true");
  container.remove();
});

test("review: a refused edit stays in the box with the reason", async () => {
  const api = fakeApi({ failPatch: new ApiError("invalid", "what 不能为空", { status: 422, code: "invalid_body" }) });
  const { container, field } = await mounted(api);
  const area = field("summary_text").querySelector("textarea");
  area.value = "改过的总结";
  area.dispatchEvent(new Event("input"));
  field("summary_text").querySelector("button.approve").click();
  await tick(5);
  assertEqual(area.value, "改过的总结");
  assert(field("summary_text").querySelector(".field-error").textContent.includes("what 不能为空"), "422 reason shown");
  assert(field("summary_text").classList.contains("is-dirty"), "still unsaved");
  container.remove();
});

test("review: confirm twice sends once, then everything locks", async () => {
  const api = fakeApi();
  const { container, field } = await mounted(api);
  const confirm = container.querySelector("button.confirm");
  confirm.click();
  confirm.click();
  confirm.dispatchEvent(new MouseEvent("click"));
  await tick(60);
  assertEqual(api.calls.filter((c) => c[0] === "confirm").length, 1);
  assertEqual(confirm.textContent, "已归档");
  assert(field("summary_text").querySelector("textarea").disabled, "fields locked");
  assert(container.querySelector(".delivery").textContent.includes("已送达"), "delivery shown");
  container.remove();
});

test("review: unsaved edits block confirm instead of being lost", async () => {
  const api = fakeApi();
  const { container, field } = await mounted(api);
  const area = field("summary_text").querySelector("textarea");
  area.value = "没保存的修改";
  area.dispatchEvent(new Event("input"));
  container.querySelector("button.confirm").click();
  await tick(5);
  assertEqual(api.calls.length, 0);
  assert(container.querySelector(".review-banner").textContent.includes("总结"), "says which field");
  assertEqual(area.value, "没保存的修改");
  container.remove();
});

test("review: 409 already_confirmed locks the review", async () => {
  const api = fakeApi({ failPatch: new ApiError("not_ready", "confirmed", { status: 409, code: "already_confirmed" }) });
  const { container, field } = await mounted(api);
  api.review.status = "confirmed";
  api.review.delivery = { status: "delivered" };
  field("budget").querySelector("button.skip").click();
  await tick(10);
  assert(field("budget").querySelector(".field-error").textContent.includes("已经归档"), "told why");
  assertEqual(container.querySelector("button.confirm").textContent, "已归档");
  container.remove();
});

test("identity: body, text and a pick saved to the call", async () => {
  assertEqual(identityBody({ account_id: " A-1 ", account_name: "", extra: "x" }), {
    account_name: null, account_id: "A-1", opportunity_name: null, opportunity_id: null, contact_name: null, contact_id: null,
  });
  assertEqual(identityText({ account_name: "华润万家", account_id: "A-1", contact_name: "赵总" }), "华润万家（A-1） · 赵总");
  const api = fakeApi();
  const picker = new IdentityPicker({ api });
  document.body.append(picker.node);
  picker.search.value = "华润";
  await picker.lookup();
  picker.node.querySelector("button.suggestion-pick").click();
  await tick(5);
  assertEqual(api.calls.length, 0, "no call yet: the pick waits");
  assert(picker.node.textContent.includes("华润集团"), "pending pick shown");
  await picker.setCall("c9");
  assertEqual(api.calls[0][0], "crm");
  assertEqual(api.calls[0][1], "c9");
  assertEqual(api.calls[0][2].account_id, "A-1");
  picker.node.remove();
});

test("followups: order, overdue and due words", () => {
  const items = [
    { id: "b", subject: "回访", due_date: null, due_text: "下周" },
    { id: "a", subject: "发方案", due_date: "2026-12-01", customer_name: "华润万家", owner: "rep" },
    { id: "c", subject: "报价", due_date: "2026-12-05", owner: "customer" },
  ];
  assertEqual(sortFollowups(items).map((f) => f.id), ["a", "c", "b"]);
  const late = followupView(items[1], "2026-12-03");
  assert(late.overdue && late.due === "已逾期 · 12月1日", late.due);
  assertEqual(followupView(items[0], "2026-12-03").due, "下周");
  assertEqual(followupView(items[2], "2026-12-05").due, "今天（12月5日）");
  assert(followupView(items[2], "2026-12-05").meta.includes("客户负责"), "owner shown");
  assertEqual([dayText("2025-01-02", "2026-12-03"), isOverdue(null, "2026-12-03")], ["2025年1月2日", false]);
});
