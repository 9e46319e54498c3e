// Chinese labels for the ids of shared/CONTRACT.md, and small formatters. The taxonomy
// tables come from copilot/taxonomy.yaml (through the generated taxonomy.js), the same labels
// the dashboard shows; edit them there, not here.

import { TAXONOMY } from "./taxonomy.js";

export const SPEAKERS = TAXONOMY.speaker;
export const OBJECTIONS = TAXONOMY.objection;
export const PAIN_POINTS = TAXONOMY.pain_point;
export const COMPLIANCE = TAXONOMY.compliance;
export const SEVERITY = TAXONOMY.severity;
export const SUGGESTION_KINDS = TAXONOMY.suggestion_kind;
export const PERIODS = TAXONOMY.period;
// Commitments name only rep or customer, read as the speakers are.
export const WHO = TAXONOMY.speaker;

// States of the extension's own views (CRM delivery, call status), not CONTRACT taxonomies.
export const DELIVERY = {
  pending: "排队中",
  sending: "发送中",
  retrying: "重试中",
  delivered: "已送达 CRM",
  dead: "发送失败",
};

export const CALL_STATUS = {
  live: "通话中",
  ended: "已结束",
  interrupted: "已中断",
  analyzing: "分析中",
  analysing: "分析中",
  failed: "分析失败",
  confirmed: "已归档",
};

export const label = (table, id) => (id && table[id]) || id || "";

// 480000 → "48 万", 12000 → "1.2 万", 8000 → "8,000"
export function yuan(amount) {
  if (typeof amount !== "number" || !Number.isFinite(amount)) return "";
  if (amount >= 10000) return `${wan(amount)} 万`;
  return amount.toLocaleString("zh-CN");
}

const wan = (amount) => (amount / 10000).toFixed(1).replace(/\.0$/, "");

export function budgetText(budget) {
  if (!budget) return "";
  const { amount_min: min, amount_max: max, period } = budget;
  let amount;
  if (min != null && max != null && min !== max) {
    amount = min >= 10000 ? `${wan(min)}–${wan(max)} 万` : `${yuan(min)}–${yuan(max)}`;
  } else if (max != null) {
    amount = min == null ? `不超过 ${yuan(max)}` : yuan(max);
  } else if (min != null) {
    amount = `至少 ${yuan(min)}`;
  } else {
    return "金额未说明";
  }
  const per = period && PERIODS[period] ? ` · ${PERIODS[period]}` : "";
  return `${amount}元${per}`;
}

// Seconds → "03:07"
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

// The rep's review before filing (issue 14): field names as the service sends them.
export const REVIEW_FIELDS = {
  summary_text: "总结",
  next_steps: "下一步与承诺",
  budget: "预算",
  decision_chain: "决策链",
  pain_points: "痛点",
  objections: "异议",
  competitors: "竞品",
};

export const REVIEW_STATES = {
  pending: "待确认",
  approved: "已通过",
  skipped: "已跳过",
};

// Where an account suggestion came from: picked before in this org, or the CRM's lookup.
export const ACCOUNT_SOURCES = {
  remembered: "常用",
  lookup: "CRM",
};

// Today as "YYYY-MM-DD" in the rep's own time zone (what <input type=date> shows).
export function isoDay(date = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// "2026-12-03" → "12月3日" (the year only when it is not this year's).
export function dayText(day, today = isoDay()) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || "");
  if (!match) return "";
  const [, year, month, date] = match;
  const short = `${Number(month)}月${Number(date)}日`;
  return year === today.slice(0, 4) ? short : `${year}年${short}`;
}

export const isOverdue = (day, today = isoDay()) => Boolean(day) && day < today;
