// A finished call's summary, and 「确认归档」: the rep confirms it and the service queues it
// for the CRM; the delivery status is followed until it is final.

import { describeError } from "../lib/api.js";
import { clear, h } from "../lib/dom.js";
import { COMPLIANCE, DELIVERY, clock, label } from "../lib/labels.js";
import { insightCards } from "./insights.js";

const POLL_MS = 2000;
const POLL_LIMIT = 90; // three minutes

function deliveryText(delivery) {
  if (!delivery) return "";
  const status = label(DELIVERY, delivery.status);
  const tries = delivery.attempts ? `，已尝试 ${delivery.attempts} 次` : "";
  const error = delivery.status !== "delivered" && delivery.last_error ? `（${delivery.last_error}）` : "";
  return `CRM：${status}${tries}${error}`;
}

export function renderSummary(container, summary, { api, callId, call = null }) {
  clear(container);
  const flags = Array.isArray(summary.compliance_flags) ? summary.compliance_flags : [];
  const status = h("p", { class: "delivery", role: "status", text: call ? deliveryText(call.delivery) : "" });
  const confirmed = Boolean(call && call.confirmed_at);
  const button = h("button", { class: "primary confirm", type: "button", disabled: confirmed, text: confirmed ? "已归档" : "确认归档" });

  async function follow() {
    for (let i = 0; i < POLL_LIMIT && container.isConnected; i++) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        const latest = await api.getCall(callId);
        status.textContent = deliveryText(latest.delivery);
        if (!latest.delivery || latest.delivery.status !== "pending") return;
      } catch (error) {
        status.textContent = `无法获取送达状态：${describeError(error)}`;
      }
    }
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    button.textContent = "提交中…";
    try {
      const answer = await api.confirm(callId);
      button.textContent = "已归档";
      status.textContent = deliveryText(answer.delivery);
      if (answer.delivery && answer.delivery.status === "pending") follow();
    } catch (error) {
      button.disabled = false;
      button.textContent = "确认归档";
      status.textContent = describeError(error);
    }
  });

  container.append(
    h(
      "article",
      { class: "card summary" },
      h("h2", { text: "通话总结" }),
      h("p", { class: "muted", text: `时长 ${clock(summary.duration_s)} · ${(summary.transcript || []).length} 段对话 · 合规提醒 ${flags.length} 条` }),
      h("p", { class: "summary-text", text: summary.summary_text || "（无总结文字）" }),
      flags.length
        ? h("ul", { class: "summary-flags" }, flags.map((f) => h("li", { text: `${label(COMPLIANCE, f.category)}：「${f.match}」` })))
        : null,
      h("div", { class: "insight-grid" }, insightCards(summary)),
      h("div", { class: "actions" }, button),
      status,
    ),
  );
  if (call && call.delivery && call.delivery.status === "pending") follow();
}
