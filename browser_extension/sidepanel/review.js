// Review before filing: every summary field with its evidence, editable, 「通过」 or 「跳过」
// one by one (each a PATCH the service audits), then one 「确认归档」. An edit the service
// refused stays in its box with the reason; after confirm the fields lock and the CRM
// delivery is followed.

import { ApiError, describeError } from "../lib/api.js";
import { clear, h } from "../lib/dom.js";
import { DELIVERY, REVIEW_FIELDS, REVIEW_STATES, label } from "../lib/labels.js";
import { IdentityPicker } from "./identity.js";
import { fieldEditor, lockControls } from "./review-fields.js";

const POLL_MS = 2000;
const POLL_LIMIT = 90; // three minutes

export function deliveryText(delivery) {
  if (!delivery) return "";
  const status = label(DELIVERY, delivery.status);
  const tries = delivery.attempts ? `，已尝试 ${delivery.attempts} 次` : "";
  const error = delivery.status !== "delivered" && delivery.last_error ? `（${delivery.last_error}）` : "";
  return `CRM：${status}${tries}${error}`;
}

// The service answers 409 with code "conflict" ("… is already confirmed"); the brief named
// the code "already_confirmed": both are read as the same thing.
export const alreadyConfirmed = (error) =>
  error instanceof ApiError &&
  error.status === 409 &&
  (error.code === "already_confirmed" || /already confirmed/i.test(error.message));

// The rep's words for a failed review call; 422 carries the service's reason.
export function reviewError(error) {
  if (alreadyConfirmed(error)) return "这通电话已经归档，不能再修改";
  if (error instanceof ApiError && error.kind === "invalid") return `没有保存：${error.message}`;
  if (error instanceof ApiError && error.kind === "not_found") return "找不到该通话的审核（或无权查看）";
  return `没有保存：${describeError(error)}`;
}

// What the approve button says for a field's state and whether it holds unsaved edits.
export function approveText(state, dirty) {
  if (dirty) return "保存并通过";
  return state === "approved" ? "已通过 ✓" : "通过";
}

class FieldCard {
  constructor(review, field) {
    this.review = review;
    this.name = field.name;
    this.error = h("p", { class: "field-error", role: "alert" });
    this.unsaved = h("span", { class: "unsaved small", text: "未保存", hidden: true });
    this.pill = h("span", { class: "pill state" });
    this.approve = h("button", { type: "button", class: "approve" });
    this.skip = h("button", { type: "button", class: "skip" });
    this.body = h("div", { class: "field-body" });
    this.approve.addEventListener("click", () => this.onApprove());
    this.skip.addEventListener("click", () => this.onSkip());
    this.node = h(
      "section",
      { class: "card review-field", dataset: { field: field.name } },
      h("div", { class: "field-head" }, h("h3", { text: field.label || label(REVIEW_FIELDS, field.name) }), this.unsaved, this.pill),
      this.body,
      this.error,
      h("div", { class: "actions" }, this.approve, this.skip),
    );
    this.busy = false;
    this.show(field, { value: true });
  }

  // Shows the service's view of the field; its value only when asked (a field with unsaved
  // edits keeps what the rep typed).
  show(field, { value }) {
    this.field = field;
    if (value) {
      this.editor = fieldEditor(field.name, field.value, () => this.refresh());
      clear(this.body).append(this.editor.node);
    }
    this.refresh();
  }

  dirty() {
    return Boolean(this.editor && this.editor.dirty());
  }

  refresh() {
    const state = this.field.state;
    const dirty = this.dirty();
    this.node.dataset.state = state;
    this.node.classList.toggle("is-dirty", dirty);
    this.pill.textContent = label(REVIEW_STATES, state);
    this.pill.className = `pill state state-${state}`;
    this.unsaved.hidden = !dirty;
    this.approve.textContent = this.busy ? "保存中…" : approveText(state, dirty);
    this.approve.setAttribute("aria-pressed", String(state === "approved" && !dirty));
    this.skip.textContent = state === "skipped" ? "已跳过" : "跳过";
    this.skip.setAttribute("aria-pressed", String(state === "skipped"));
    if (this.review.locked) lockControls(this.node, true);
    else {
      this.approve.disabled = this.busy;
      this.skip.disabled = this.busy;
    }
  }

  async onApprove() {
    if (this.dirty()) {
      const read = this.editor.read();
      if (!read.ok) {
        this.error.textContent = read.error;
        return;
      }
      await this.send({ value: read.value });
    } else {
      // The active button again takes the field back to 「待确认」.
      await this.send({ state: this.field.state === "approved" ? "pending" : "approved" });
    }
  }

  async onSkip() {
    await this.send({ state: this.field.state === "skipped" ? "pending" : "skipped" });
  }

  async send(change) {
    if (this.busy || this.review.locked) return;
    this.busy = true;
    this.error.textContent = "";
    this.refresh();
    try {
      const answer = await this.review.api.patchReview(this.review.callId, this.name, change);
      this.busy = false;
      this.review.apply(answer, this.name);
    } catch (error) {
      this.busy = false;
      this.error.textContent = reviewError(error);
      this.refresh();
      if (alreadyConfirmed(error)) this.review.reload();
    }
  }
}

export class ReviewCard {
  constructor(container, { api, callId, heading = null }) {
    this.container = container;
    this.api = api;
    this.callId = callId;
    this.heading = heading;
    this.cards = new Map();
    this.locked = false;
    this.confirming = false;
    this.banner = h("p", { class: "review-banner", role: "status" });
    this.confirm = h("button", { type: "button", class: "primary confirm", text: "确认归档" });
    this.delivery = h("p", { class: "delivery", role: "status" });
    this.confirm.addEventListener("click", () => this.onConfirm());
  }

  async load() {
    clear(this.container).append(h("p", { class: "muted small", text: "正在加载归档前核对…" }));
    try {
      this.render(await this.api.getReview(this.callId));
    } catch (error) {
      const retry = h("button", { type: "button", text: "重试" });
      retry.addEventListener("click", () => this.load());
      clear(this.container).append(h("div", { class: "banner error" }, `无法加载通话总结：${reviewError(error).replace(/^没有保存：/, "")} `, retry));
    }
  }

  async reload() {
    try {
      this.apply(await this.api.getReview(this.callId), null, { all: true });
    } catch (error) {
      this.say(`无法刷新：${describeError(error)}`, "error");
    }
  }

  render(review) {
    this.cards.clear();
    this.identity = new IdentityPicker({
      api: this.api,
      callId: this.callId,
      identity: review.identity,
      customerName: review.customer_name,
    });
    const fields = h("div", { class: "review-fields" });
    for (const field of review.fields) {
      const card = new FieldCard(this, field);
      this.cards.set(field.name, card);
      fields.append(card.node);
    }
    clear(this.container).append(
      h(
        "article",
        { class: "card summary review", dataset: { callId: this.callId } },
        h("h2", { text: "通话总结 · 归档前核对" }),
        this.heading ? h("p", { class: "muted small", text: this.heading }) : null,
        h("p", { class: "muted small", text: "逐项核对：可直接修改，「通过」保存，「跳过」的内容不会写入 CRM；未处理的按通过归档。" }),
        this.identity.node,
        fields,
        this.banner,
        h("div", { class: "actions confirm-row" }, this.confirm),
        this.delivery,
      ),
    );
    this.applyStatus(review);
  }

  // The service's answer after a change: states everywhere; values where the rep has nothing
  // unsaved (and always for the field just saved).
  apply(review, savedName, { all = false } = {}) {
    for (const field of review.fields) {
      const card = this.cards.get(field.name);
      if (!card) continue;
      card.show(field, { value: all || field.name === savedName || !card.dirty() });
    }
    this.applyStatus(review);
  }

  applyStatus(review) {
    if (review.status === "confirmed") this.lock(review.delivery);
  }

  lock(delivery) {
    const first = !this.locked;
    this.locked = true;
    this.container.querySelector("article.review")?.classList.add("locked");
    for (const card of this.cards.values()) card.refresh();
    if (this.identity) this.identity.lock();
    this.confirm.disabled = true;
    this.confirm.textContent = "已归档";
    if (delivery) this.delivery.textContent = deliveryText(delivery);
    if (first && delivery && delivery.status !== "delivered" && delivery.status !== "dead") this.follow();
  }

  say(text, kind = "") {
    this.banner.textContent = text;
    this.banner.className = `review-banner ${kind}`;
  }

  async onConfirm() {
    if (this.confirming || this.locked) return; // a second click while the first is sent
    const unsaved = [...this.cards.values()].filter((card) => card.dirty());
    if (unsaved.length) {
      const names = unsaved.map((card) => label(REVIEW_FIELDS, card.name)).join("、");
      this.say(`「${names}」有修改还没保存：请点「保存并通过」或「跳过」后再归档`, "error");
      unsaved[0].node.scrollIntoView({ block: "center" });
      return;
    }
    this.confirming = true;
    this.confirm.disabled = true;
    this.confirm.textContent = "提交中…";
    this.say("");
    try {
      const answer = await this.api.confirm(this.callId);
      this.confirming = false;
      this.say("已归档：内容已锁定", "ok");
      this.lock(answer.delivery);
      this.reload(); // the fields left 「待确认」 were filed as approved: show them so
    } catch (error) {
      this.confirming = false;
      if (alreadyConfirmed(error)) {
        this.say("这通电话已经归档过了", "ok");
        this.reload();
        return;
      }
      this.confirm.disabled = false;
      this.confirm.textContent = "确认归档";
      this.say(`归档失败：${describeError(error)}`, "error");
    }
  }

  async follow() {
    for (let i = 0; i < POLL_LIMIT && this.container.isConnected; i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        const latest = await this.api.getCall(this.callId);
        this.delivery.textContent = deliveryText(latest.delivery);
        if (!latest.delivery || ["delivered", "dead"].includes(latest.delivery.status)) return;
      } catch (error) {
        this.delivery.textContent = `无法获取送达状态：${describeError(error)}`;
      }
    }
  }
}
