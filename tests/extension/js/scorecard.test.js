import { disputeState, scoreLine } from "../sidepanel/scorecard.js";
import { assertEqual, test } from "./harness.js";

const item = (dispute) => ({ key: "budget", label: "确认预算", must_say: false, passed: false, evidence: null, dispute });

test("scorecard: the score line waits for scoring", () => {
  assertEqual(scoreLine({ scored: false, items: [] }), "通话结束、小结生成后评分。");
  assertEqual(scoreLine({ scored: true, score: 60, passed: 3, total: 5, items: [] }), "60 分 · 3/5 项");
});

test("scorecard: an undisputed item offers a dispute; a disputed one shows where it stands", () => {
  assertEqual(disputeState(item({ state: "none" })), { canDispute: true, text: "" });
  assertEqual(disputeState(item({ state: "open", reason: "问过了" })), { canDispute: false, text: "申诉中 · 理由：问过了" });
  assertEqual(
    disputeState(item({ state: "rejected", reason: "问过了", comment: "录音里没问" })),
    { canDispute: false, text: "申诉已驳回 · 理由：问过了 · 裁定：录音里没问" },
  );
});
