// The rep's own scorecard once the call is scored (GET /v1/calls/{id}/scorecard): each item
// passed or missed with the words that counted, and a dispute per item ("I did say it",
// "it does not apply") that the rep's manager decides on the dashboard.
//
// disputeState and scoreLine are pure, so a test can check them without a DOM.

import { describeError } from "../lib/api.js";
import { clear, h } from "../lib/dom.js";

export const DISPUTE_LABELS = { open: "申诉中", accepted: "申诉已采纳", rejected: "申诉已驳回" };

export function scoreLine(card) {
  if (!card || !card.scored) return "通话结束、小结生成后评分。";
  return `${card.score} 分 · ${card.passed}/${card.total} 项`;
}

// What the item's dispute row shows: a button while undisputed, else the state and words.
export function disputeState(item) {
  const dispute = item.dispute || { state: "none" };
  if (dispute.state === "none") return { canDispute: true, text: "" };
  const parts = [DISPUTE_LABELS[dispute.state] || dispute.state];
  if (dispute.reason) parts.push(`理由：${dispute.reason}`);
  if (dispute.comment) parts.push(`裁定：${dispute.comment}`);
  return { canDispute: false, text: parts.join(" · ") };
}

export class ScorecardCard {
  constructor(container, { api, callId }) {
    this.container = container;
    this.api = api;
    this.callId = callId;
  }

  async load() {
    try {
      this.render(await this.api.getScorecard(this.callId));
    } catch (error) {
      clear(this.container).append(h("p", { class: "banner error", text: `无法加载评分卡：${describeError(error)}` }));
    }
  }

  render(card) {
    this.card = card;
    const list = h("ul", { class: "scorecard-items" });
    for (const item of card.items || []) list.append(this.itemNode(item));
    clear(this.container).append(
      h(
        "article",
        { class: "card scorecard", dataset: { callId: this.callId } },
        h("h2", {}, "评分卡 ", h("span", { class: "score", text: scoreLine(card) })),
        card.missed_must_say && card.missed_must_say.length
          ? h("p", { class: "banner warn", text: `必说项未说：${card.missed_must_say.join("、")}` })
          : null,
        list,
      ),
    );
  }

  itemNode(item) {
    const state = disputeState(item);
    const node = h(
      "li",
      { class: `score-item ${item.passed ? "passed" : "missed"}`, dataset: { key: item.key, dispute: item.dispute.state } },
      h("span", { class: "check-mark", "aria-hidden": "true", text: item.passed ? "✓" : "✗" }),
      h("span", { class: "check-label", text: item.label }),
      item.must_say ? h("span", { class: "pill must-say", text: "必说" }) : null,
      item.evidence ? h("p", { class: "evidence-line", text: `原话：${item.evidence.text}` }) : null,
    );
    if (!state.canDispute) {
      node.append(h("p", { class: "small dispute-state", text: state.text }));
      return node;
    }
    const open = h("button", { type: "button", class: "link dispute", text: "申诉" });
    open.addEventListener("click", () => {
      open.replaceWith(this.disputeForm(item));
    });
    node.append(open);
    return node;
  }

  disputeForm(item) {
    const reason = h("input", { type: "text", maxlength: "1000", placeholder: "申诉理由，例如：开场已说明", "aria-label": "申诉理由" });
    const send = h("button", { type: "submit", text: "提交申诉" });
    const error = h("p", { class: "error small", role: "status" });
    const form = h("form", { class: "dispute-form" }, reason, send, error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        error.textContent = "请写明申诉理由";
        return;
      }
      send.disabled = true;
      try {
        await this.api.disputeItem(this.callId, item.key, text);
        await this.load();
      } catch (failure) {
        send.disabled = false;
        error.textContent = `申诉未提交：${describeError(failure)}`;
      }
    });
    return form;
  }
}
