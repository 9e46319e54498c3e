// 「关联 CRM」: which account, opportunity and contact a call belongs to. The rep types a
// customer's name, picks one of the service's suggestions (remembered for this customer in
// the org, or found by the org's CRM lookup) or types the ids by hand; it is saved to the
// call (`PUT /v1/calls/{id}/crm`), and the service remembers it for the next call.
// Picked before a call exists, it waits and is saved once the panel follows the call.

import { describeError } from "../lib/api.js";
import { clear, h } from "../lib/dom.js";
import { ACCOUNT_SOURCES, label } from "../lib/labels.js";

const SEARCH_DELAY_MS = 300;

// The parts the rep sees and may type; crm_user_id is the rep's own and set by the service.
export const IDENTITY_INPUTS = [
  ["account_name", "客户名称"],
  ["account_id", "客户 ID"],
  ["opportunity_name", "商机名称"],
  ["opportunity_id", "商机 ID"],
  ["contact_name", "联系人"],
  ["contact_id", "联系人 ID"],
];

// A CrmIdentity body from loose values: trimmed strings, empty ones null, unknown keys dropped.
export function identityBody(values) {
  const body = {};
  for (const [key] of IDENTITY_INPUTS) {
    const value = typeof values?.[key] === "string" ? values[key].trim().slice(0, 200) : "";
    body[key] = value || null;
  }
  return body;
}

// One line for an identity: "华润万家（A-001） · 门店项目 · 赵总".
export function identityText(identity) {
  if (!identity) return "";
  const part = (name, id) => (name && id ? `${name}（${id}）` : name || id || "");
  return [
    part(identity.account_name, identity.account_id),
    part(identity.opportunity_name, identity.opportunity_id),
    part(identity.contact_name, identity.contact_id),
  ]
    .filter(Boolean)
    .join(" · ");
}

export class IdentityPicker {
  // api: an api client, or a function giving one (the live view builds it per call).
  constructor({ api, callId = null, identity = null, customerName = "" }) {
    this.api = api;
    this.callId = callId;
    this.identity = identity && Object.values(identity).some(Boolean) ? identity : null;
    this.pending = null; // picked before the call existed
    this.binding = Promise.resolve();
    this.locked = false;
    this.timer = null;
    this.searchSeq = 0;

    this.current = h("p", { class: "identity-current small" });
    this.search = h("input", { type: "search", class: "identity-search", maxlength: "200", placeholder: "输入客户或公司名称查找", "aria-label": "查找 CRM 客户" });
    this.search.value = customerName || "";
    this.suggestions = h("ul", { class: "identity-suggestions", role: "listbox", "aria-label": "CRM 客户建议" });
    this.status = h("p", { class: "identity-status small", role: "status" });
    this.inputs = Object.fromEntries(
      IDENTITY_INPUTS.map(([key, text]) => [key, h("input", { type: "text", maxlength: "200", placeholder: text, "aria-label": text, dataset: { key } })]),
    );
    const save = h("button", { type: "submit", class: "save-identity", text: "保存关联" });
    this.manual = h(
      "details",
      { class: "identity-manual" },
      h("summary", { text: "手动填写 ID" }),
      h("form", { class: "identity-form" }, h("div", { class: "identity-grid" }, Object.values(this.inputs)), h("div", { class: "actions" }, save)),
    );
    this.manual.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.choose(identityBody(this.readInputs()));
    });
    this.search.addEventListener("input", () => this.schedule());
    this.search.addEventListener("focus", () => {
      if (this.search.value.trim() && !this.suggestions.childElementCount) this.schedule(0);
    });
    this.node = h(
      "div",
      { class: "identity" },
      h("div", { class: "identity-head" }, h("h3", { text: "关联 CRM" }), this.current),
      this.search,
      this.suggestions,
      this.manual,
      this.status,
    );
    this.fill(this.identity);
    this.showCurrent();
  }

  async client() {
    return typeof this.api === "function" ? this.api() : this.api;
  }

  readInputs() {
    return Object.fromEntries(Object.entries(this.inputs).map(([key, input]) => [key, input.value]));
  }

  fill(identity) {
    for (const [key, input] of Object.entries(this.inputs)) input.value = (identity && identity[key]) || "";
  }

  showCurrent() {
    const shown = this.identity || this.pending;
    this.current.textContent = shown ? identityText(shown) : "未关联";
    this.current.classList.toggle("muted", !shown);
    this.node.dataset.linked = String(Boolean(this.identity));
  }

  say(text, kind = "") {
    this.status.textContent = text;
    this.status.className = `identity-status small ${kind}`;
  }

  schedule(delay = SEARCH_DELAY_MS) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.lookup(), delay);
  }

  async lookup() {
    const query = this.search.value.trim();
    const seq = ++this.searchSeq;
    if (!query) {
      clear(this.suggestions);
      return;
    }
    try {
      const api = await this.client();
      const answer = await api.searchAccounts(query);
      if (seq !== this.searchSeq) return; // a newer search is on its way
      this.showSuggestions(answer.accounts || [], query);
      if (answer.lookup_error) this.say(`CRM 查询失败：${answer.lookup_error}（仍可手动填写）`, "warn");
      else if (this.status.classList.contains("warn")) this.say("");
    } catch (error) {
      if (seq === this.searchSeq) this.say(`无法查找：${describeError(error)}`, "error");
    }
  }

  showSuggestions(accounts, query) {
    clear(this.suggestions);
    if (!accounts.length) {
      this.suggestions.append(h("li", { class: "empty", text: `没有找到「${query}」，可手动填写 ID` }));
      return;
    }
    for (const account of accounts.slice(0, 8)) {
      const button = h(
        "button",
        { type: "button", class: "suggestion-pick", role: "option", dataset: { accountId: account.account_id || "" } },
        h("span", { class: "pill", text: label(ACCOUNT_SOURCES, account.source) }),
        h("span", { class: "pick-text", text: identityText(account) || "（无名称）" }),
      );
      button.addEventListener("click", () => {
        this.fill(account);
        this.choose(identityBody(account));
      });
      this.suggestions.append(h("li", {}, button));
    }
  }

  async choose(identity) {
    if (this.locked) return;
    clear(this.suggestions);
    await this.binding;
    if (!this.callId) {
      this.pending = identity;
      this.showCurrent();
      this.say("通话开始后自动关联", "ok");
      return;
    }
    await this.save(identity);
  }

  async save(identity) {
    this.say("保存中…");
    try {
      const api = await this.client();
      const answer = await api.setCrm(this.callId, identity);
      this.identity = answer.identity || identity;
      this.pending = null;
      this.fill(this.identity);
      this.showCurrent();
      this.say("已关联，下次同一客户会自动建议", "ok");
    } catch (error) {
      // The choice stays in the inputs, so a retry is one click.
      this.pending = identity;
      this.showCurrent();
      const confirmed = error.status === 409 && /already confirmed/i.test(error.message);
      this.say(confirmed ? "这通电话已经归档，CRM 关联不能再改" : `没有保存：${describeError(error)}`, "error");
    }
  }

  // The panel now follows a call: a choice made before it existed is saved to it.
  setCall(callId) {
    // A pick made while this runs waits for it (it may find the call already filed).
    this.binding = this.bind(callId);
    return this.binding;
  }

  async bind(callId) {
    if (callId === this.callId) return;
    this.callId = callId;
    this.identity = null;
    if (this.pending) {
      await this.save(this.pending);
      return;
    }
    this.showCurrent();
    try {
      // A call followed by its id may have been linked already (GET /v1/calls/{id} says).
      const api = await this.client();
      const call = await api.getCall(callId);
      if (this.callId !== callId || this.pending) return;
      if (call && call.status === "confirmed") {
        // A reopened panel shows the last call, already filed: a pick now is for the next one.
        this.callId = null;
        return;
      }
      const linked = call && call.crm && Object.values(call.crm).some(Boolean) ? call.crm : null;
      this.identity = linked;
      this.fill(linked);
      this.showCurrent();
    } catch {
      // Not there yet (a call is created by its first audio): nothing linked to show.
    }
  }

  lock() {
    this.locked = true;
    for (const node of this.node.querySelectorAll("input, button")) node.disabled = true;
    clear(this.suggestions);
  }
}
