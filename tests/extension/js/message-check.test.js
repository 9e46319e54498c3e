import { composeRewrite, decide, replacementOf } from "../lib/message-check.js";
import { assertEqual, test } from "./harness.js";

// Flags as the service returns them for 「我保证上线不延期，给您打五折」.
const FLAGS = [
  { rule_id: "guarantee.delivery", category: "guarantee", severity: "high", start: 1, end: 5, match: "保证上线", suggestion: "不要口头保证交付时间。改为：「我们会按双方确认的项目计划推进，每周同步进度，里程碑和延期责任以合同约定为准。」" },
  { rule_id: "unauthorized_discount.depth", category: "unauthorized_discount", severity: "high", start: 12, end: 14, match: "五折", suggestion: "「五折」超出了您的折扣权限（最多九折）。改为：「这个价格我需要走特价审批，今天内给您答复。」" },
];

test("message check: high holds, medium/low warn, nothing sends", () => {
  assertEqual(decide({ compliant: false, flags: FLAGS }), "hold");
  assertEqual(decide({ compliant: false, flags: [{ severity: "medium" }] }), "warn");
  assertEqual(decide({ compliant: true, flags: [{ severity: "low" }] }), "warn");
  assertEqual(decide({ compliant: true, flags: [] }), "send");
  assertEqual(decide(null), "send");
});

test("message check: the suggested wording is the 「…」 after 改为", () => {
  assertEqual(replacementOf(FLAGS[1].suggestion), "这个价格我需要走特价审批，今天内给您答复。");
  assertEqual(replacementOf("不要发送身份证号。需要核验身份请走公司的实名认证流程。"), null);
  assertEqual(replacementOf("改为客观对比：「两家侧重点不同」"), "两家侧重点不同");
});

test("message check: each flagged clause is replaced by its rule's wording", () => {
  assertEqual(
    composeRewrite("我保证上线不延期，给您打五折", FLAGS),
    "我们会按双方确认的项目计划推进，每周同步进度，里程碑和延期责任以合同约定为准。这个价格我需要走特价审批，今天内给您答复。",
  );
});

test("message check: clean clauses around a flagged one are kept", () => {
  const text = "您好！我保证上线不延期。您看可以吗？";
  const flags = [{ ...FLAGS[0], start: 4, end: 8 }];
  assertEqual(composeRewrite(text, flags), "您好！我们会按双方确认的项目计划推进，每周同步进度，里程碑和延期责任以合同约定为准。您看可以吗？");
});

test("message check: a flag without wording is masked", () => {
  const text = "他的身份证号是110101199003071234，您核对下";
  const flags = [{ rule_id: "privacy.id", severity: "high", start: 7, end: 25, match: "110101199003071234", suggestion: "不要发送身份证号。" }];
  assertEqual(composeRewrite(text, flags), "他的身份证号是***，您核对下");
});

test("message check: nothing to rewrite gives null", () => {
  assertEqual(composeRewrite("你好", []), null);
  assertEqual(composeRewrite("你好", [{ start: 9, end: 20, suggestion: "改为：「x」" }]), null);
});
