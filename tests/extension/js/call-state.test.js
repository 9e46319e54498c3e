import { MAX_SUGGESTION_GROUPS, applyEvent, createCallState } from "../lib/call-state.js";
import { assertEqual, test } from "./harness.js";

let seq = 0;
const seg = (id, text, speaker = "customer", start = 0) => ({ id, start, end: start + 1, speaker, text });
const e = (type, body) => ({ type, call_id: "c1", seq: ++seq, ts: 1, ...body });
const sugg = (segmentId, ids, provisional = false, objection = "price") =>
  e("suggestion", {
    segment_id: segmentId,
    provisional,
    result: { objection, suggestions: ids.map((id) => ({ id, kind: "script", title: id, text: id, tags: [], score: 1 })) },
  });

test("call state: a final replaces its partials; empty partial withdraws", () => {
  const s = createCallState("c1");
  applyEvent(s, e("transcript.partial", { segment: seg("a", "预算") }));
  applyEvent(s, e("transcript.partial", { segment: seg("b", "不过", "customer", 5) }));
  assertEqual([...s.partials.keys()], ["a", "b"]);
  applyEvent(s, e("transcript.partial", { segment: seg("b", "") }));
  assertEqual([...s.partials.keys()], ["a"]);
  applyEvent(s, e("transcript.final", { segment: seg("a", "预算六十万") }));
  assertEqual(s.partials.size, 0);
  assertEqual(s.finals.map((x) => x.text), ["预算六十万"]);
  applyEvent(s, e("transcript.partial", { segment: seg("a", "迟到的") }));
  assertEqual(s.partials.size, 0, "a partial after its final is ignored");
});

test("call state: finals are kept in time order, replayed ones replace", () => {
  const s = createCallState("c1");
  applyEvent(s, e("transcript.final", { segment: seg("2", "后", "rep", 5) }));
  applyEvent(s, e("transcript.final", { segment: seg("1", "前", "customer", 1) }));
  applyEvent(s, e("transcript.final", { segment: seg("2", "后（修正）", "rep", 5) }));
  assertEqual(s.finals.map((x) => x.text), ["前", "后（修正）"]);
});

test("call state: relabelled speakers replace finals; withdrawn flags go", () => {
  const s = createCallState("c1");
  applyEvent(s, e("transcript.final", { segment: seg("1", "您好，我是小王", "unknown", 1) }));
  applyEvent(s, e("transcript.final", { segment: seg("2", "上线绝不延期", "rep", 5) }));
  const flag = { rule_id: "r", category: "guarantee", severity: "high", match: "绝不延期", suggestion: "", flag_id: "f1" };
  applyEvent(s, e("compliance.flag", { segment_id: "2", flag }));
  const changed = applyEvent(
    s,
    e("transcript.relabelled", {
      segments: [seg("1", "您好，我是小王", "rep", 1), seg("2", "上线绝不延期", "customer", 5)],
      withdrawn_flags: ["f1"],
    }),
  );
  assertEqual(changed, ["transcript", "flags"]);
  assertEqual(s.finals.map((x) => x.speaker), ["rep", "customer"]);
  assertEqual(s.flags, []);
  const labelsOnly = e("transcript.relabelled", { segments: [seg("1", "您好，我是小王", "rep", 1)], withdrawn_flags: [] });
  assertEqual(applyEvent(s, labelsOnly), ["transcript"]);
});

test("call state: insights are the merged call insights", () => {
  const s = createCallState("c1");
  applyEvent(s, e("insight", { segment_id: "1", insights: { budget: null }, call_insights: { budget: { amount_max: 1 } } }));
  assertEqual(s.insights, { budget: { amount_max: 1 } });
});

test("call state: a final suggestion replaces the provisional one; not the reverse", () => {
  const s = createCallState("c1");
  applyEvent(s, sugg("s1", ["kb-1"], true));
  assertEqual(s.suggestionGroups[0].provisional, true);
  applyEvent(s, sugg("s1", ["kb-2"], false));
  assertEqual(s.suggestionGroups.length, 1);
  assertEqual(s.suggestionGroups[0].items.map((i) => i.id), ["kb-2"]);
  assertEqual(applyEvent(s, sugg("s1", ["kb-3"], true)), []);
  assertEqual(s.suggestionGroups[0].items.map((i) => i.id), ["kb-2"]);
});

test("call state: an entry shown already is not repeated; groups are capped", () => {
  const s = createCallState("c1");
  applyEvent(s, sugg("s1", ["kb-1", "kb-2"]));
  applyEvent(s, sugg("s2", ["kb-2", "kb-3"]));
  assertEqual(s.suggestionGroups[0].items.map((i) => i.id), ["kb-3"]);
  assertEqual(applyEvent(s, sugg("s3", ["kb-1"])), []);
  for (let i = 0; i < 10; i++) applyEvent(s, sugg(`x${i}`, [`kb-x${i}`]));
  assertEqual(s.suggestionGroups.length, MAX_SUGGESTION_GROUPS);
  assertEqual(s.suggestionGroups[0].segmentId, "x9");
});

test("call state: flags newest first, duplicates ignored", () => {
  const s = createCallState("c1");
  const flag = (id, rule) => e("compliance.flag", { segment_id: "s1", flag: { rule_id: rule, category: "guarantee", severity: "high", match: "保证", suggestion: "", flag_id: id } });
  applyEvent(s, flag("f1", "a"));
  applyEvent(s, flag("f2", "b"));
  assertEqual(applyEvent(s, flag("f1", "a")), []);
  assertEqual(s.flags.map((f) => f.flag_id), ["f2", "f1"]);
});

test("call state: status, summary and errors", () => {
  const s = createCallState("c1");
  applyEvent(s, e("call.status", { status: "live", asr_lag_s: 0.7 }));
  applyEvent(s, e("transcript.partial", { segment: seg("p", "嗯") }));
  assertEqual([s.status, s.asrLagS], ["live", 0.7]);
  applyEvent(s, e("call.status", { status: "ended" }));
  assertEqual(s.partials.size, 0, "an ended call has no provisional text");
  applyEvent(s, e("call.summary", { summary: { summary_text: "总结" } }));
  assertEqual(s.summary.summary_text, "总结");
  for (let i = 0; i < 7; i++) applyEvent(s, e("error", { code: "x", message: `m${i}` }));
  assertEqual(s.errors.length, 5);
  assertEqual(s.errors.at(-1).message, "m6");
});
