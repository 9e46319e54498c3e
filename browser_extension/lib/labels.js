// Chinese labels for the ids of shared/CONTRACT.md, and small formatters.

export const SPEAKERS = { rep: "我方", customer: "客户", unknown: "未知" };

export const OBJECTIONS = {
  price: "价格异议",
  competitor: "竞品对比",
  timing: "时机未到",
  authority: "决策权",
  need: "需求不足",
  trust: "信任不足",
  risk: "风险顾虑",
};

export const PAIN_POINTS = {
  efficiency: "效率",
  integration: "系统对接",
  data: "数据",
  delivery: "交付",
  quality: "质量",
  service: "服务",
  cost: "成本",
};

export const COMPLIANCE = {
  guarantee: "违规承诺",
  absolute_claim: "极限用语",
  unauthorized_discount: "越权折扣",
  kickback: "商业贿赂",
  disparagement: "诋毁竞品",
  privacy: "隐私泄露",
  off_channel_payment: "私下收款",
};

export const SEVERITY = { high: "严重", medium: "需修改", low: "提示" };

export const SUGGESTION_KINDS = { script: "话术", case: "案例", battlecard: "竞品卡", faq: "问答" };

export const PERIODS = { year: "每年", month: "每月", one_time: "一次性" };

export const WHO = { rep: "我方", customer: "客户" };

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
