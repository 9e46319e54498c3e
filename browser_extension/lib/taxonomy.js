// Generated from copilot/taxonomy.yaml by `python -m copilot.taxonomy`: do not edit.
// The ids of shared/CONTRACT.md and their Chinese labels, as the dashboard shows them.
export const TAXONOMY = {
  "objection": {
    "price": "价格异议",
    "competitor": "竞品对比",
    "timing": "时机未到",
    "authority": "决策权",
    "need": "需求不足",
    "trust": "信任不足",
    "risk": "风险顾虑"
  },
  "pain_point": {
    "efficiency": "效率低",
    "integration": "系统对接",
    "data": "数据问题",
    "delivery": "交付周期",
    "quality": "产品质量",
    "service": "售后服务",
    "cost": "成本"
  },
  "compliance": {
    "guarantee": "无法兑现的承诺",
    "absolute_claim": "极限词",
    "unauthorized_discount": "越权折扣",
    "kickback": "商业贿赂",
    "disparagement": "诋毁竞品",
    "privacy": "隐私与保密",
    "off_channel_payment": "非对公收款"
  },
  "severity": {
    "high": "严重",
    "medium": "需修改",
    "low": "提示"
  },
  "speaker": {
    "rep": "我方",
    "customer": "客户",
    "unknown": "未知"
  },
  "period": {
    "year": "每年",
    "month": "每月",
    "one_time": "一次性"
  },
  "suggestion_kind": {
    "script": "话术",
    "case": "案例",
    "battlecard": "竞品卡",
    "question": "提问",
    "phrasing": "合规说法"
  }
};
