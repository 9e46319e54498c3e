// A finished call's summary: one line about the call, then the review before filing
// (review.js) with 「确认归档」 and the CRM delivery status. Used by the live view and by
// 录音分析 alike.

import { clock } from "../lib/labels.js";
import { ReviewCard } from "./review.js";

// summary: the call's CallSummary (for the line above the fields); call: GET /v1/calls/{id}.
export function renderSummary(container, summary, { api, callId, call = null }) {
  const flags = Array.isArray(summary && summary.compliance_flags) ? summary.compliance_flags : [];
  const turns = Array.isArray(summary && summary.transcript) ? summary.transcript.length : 0;
  const customer = call && call.customer_name ? `${call.customer_name} · ` : "";
  const heading = summary ? `${customer}时长 ${clock(summary.duration_s)} · ${turns} 段对话 · 合规提醒 ${flags.length} 条` : null;
  const review = new ReviewCard(container, { api, callId, heading });
  review.load();
  return review;
}
