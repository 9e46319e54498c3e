import { EVENT_TYPES, MESSAGES, checkAudioReply, checkEvent, checkMessage, message, senderKind } from "../lib/protocol.js";
import { assert, assertEqual, test } from "./harness.js";

const ID = "abcdefghijklmnopabcdefghijklmnop";
const ORIGIN = `chrome-extension://${ID}/`;

test("protocol: message() builds {type, target, data}", () => {
  assertEqual(message("capture.stop"), { type: "capture.stop", target: "background", data: {} });
});

test("protocol: a valid message passes and is copied without extra keys", () => {
  const raw = { type: "check.scan", target: "background", data: { text: "你好" } };
  const checked = checkMessage(raw, { target: "background", from: "content" });
  assertEqual(checked, { ok: true, message: raw });
});

test("protocol: unknown types are dropped", () => {
  const checked = checkMessage({ type: "eval", target: "background", data: {} }, { target: "background", from: "content" });
  assertEqual(checked.ok, false);
});

test("protocol: prototype keys are not message types", () => {
  for (const type of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
    const checked = checkMessage({ type, data: {} }, { target: "background", from: "extension" });
    assertEqual(checked.ok, false, type);
  }
});

test("protocol: messages for another part are ignored (null), not errors", () => {
  assertEqual(checkMessage({ type: "offscreen.stop", target: "offscreen", data: {} }, { target: "background", from: "background" }), null);
});

test("protocol: a content script may not start capture or ask for tokens", () => {
  for (const type of ["capture.start", "offscreen.token", "offscreen.status"]) {
    const data = type === "capture.start" ? { call_id: "c1", customer_name: "", hotwords: [] } : { call_id: "c1" };
    const checked = checkMessage({ type, target: "background", data }, { target: "background", from: "content" });
    assertEqual(checked.ok, false, type);
  }
});

test("protocol: wrong field types, missing fields and extra fields are rejected", () => {
  const bad = [
    { type: "check.scan", target: "background", data: { text: 42 } },
    { type: "check.scan", target: "background", data: {} },
    { type: "check.scan", target: "background", data: { text: "" } },
    { type: "check.scan", target: "background", data: { text: "x", extra: 1 } },
    { type: "check.scan", target: "background", data: { text: "x".repeat(20001) } },
    { type: "check.scan", target: "background", data: { text: "x" }, sneaky: true },
    { type: "check.override", target: "background", data: { flag_ids: "f1", reason: "r" } },
    { type: "check.override", target: "background", data: { flag_ids: [1], reason: "r" } },
    { type: "check.override", target: "background", data: { flag_ids: ["f1"], reason: "" } },
  ];
  for (const raw of bad) {
    const checked = checkMessage(raw, { target: "background", from: "content" });
    assertEqual(checked.ok, false, JSON.stringify(raw).slice(0, 80));
  }
});

test("protocol: offscreen status is checked field by field", () => {
  const data = { call_id: "c1", status: "streaming", sources: { mic: true, tab: false }, seconds: 3.2 };
  assert(checkMessage({ type: "offscreen.status", target: "background", data }, { target: "background", from: "offscreen" }).ok);
  const wrong = { ...data, status: "dancing" };
  assertEqual(checkMessage({ type: "offscreen.status", target: "background", data: wrong }, { target: "background", from: "offscreen" }).ok, false);
  const noTab = { ...data, sources: { mic: true } };
  assertEqual(checkMessage({ type: "offscreen.status", target: "background", data: noTab }, { target: "background", from: "offscreen" }).ok, false);
});

test("protocol: every message type names its target and senders", () => {
  for (const [type, spec] of Object.entries(MESSAGES)) {
    assert(["background", "offscreen"].includes(spec.target), type);
    assert(spec.from.length > 0, type);
  }
});

test("protocol: sender kinds", () => {
  assertEqual(senderKind({ id: ID, url: `${ORIGIN}background.js` }, ID, ORIGIN), "background");
  assertEqual(senderKind({ id: ID, url: `${ORIGIN}offscreen/index.html` }, ID, ORIGIN), "offscreen");
  assertEqual(senderKind({ id: ID, url: `${ORIGIN}sidepanel/index.html`, tab: { id: 3 } }, ID, ORIGIN), "extension");
  assertEqual(senderKind({ id: ID, url: "https://chat.example.com/", tab: { id: 3 } }, ID, ORIGIN), "content");
  assertEqual(senderKind({ id: "other", url: `${ORIGIN}background.js` }, ID, ORIGIN), null);
  assertEqual(senderKind({ id: ID, url: "https://x.example/" }, ID, ORIGIN), null);
  assertEqual(senderKind(undefined, ID, ORIGIN), null);
});

const base = { call_id: "c1", seq: 4, ts: 1700000000.5 };

test("protocol: every documented event type validates", () => {
  const segment = { id: "s1", start: 0.5, end: 2, speaker: "customer", text: "预算六十万" };
  const events = [
    { type: "transcript.partial", segment },
    { type: "transcript.final", segment },
    { type: "transcript.relabelled", segments: [{ ...segment, speaker: "rep", speaker_source: "inferred", speaker_confidence: 0.9 }], withdrawn_flags: ["f1"] },
    { type: "insight", segment_id: "s1", insights: {}, call_insights: { budget: null } },
    { type: "suggestion", segment_id: "s1", provisional: true, result: { objection: null, suggestions: [{ id: "kb-1", kind: "script", title: "t", text: "x", tags: [], score: 0.5 }] } },
    { type: "compliance.flag", segment_id: "s1", flag: { rule_id: "r", category: "guarantee", severity: "high", start: 0, end: 2, match: "保证", suggestion: "…", evidence: { utterance_id: "s1", text: "我保证" }, flag_id: "f1" } },
    { type: "scorecard.item", segment_id: "s1", key: "recording_notice", label: "录音告知", must_say: true, evidence: "本次通话会被录音", by: "words" },
    { type: "call.status", status: "live", asr_lag_s: 0.4 },
    { type: "call.summary", summary: { call_id: "c1" } },
    { type: "error", code: "asr", message: "slow", fatal: false },
  ];
  assertEqual(events.map((e) => e.type).sort(), [...EVENT_TYPES].sort());
  for (const event of events) {
    const checked = checkEvent({ ...base, ...event });
    assert(checked.ok, `${event.type}: ${checked.error}`);
  }
});

test("protocol: events from the service may carry new fields", () => {
  assert(checkEvent({ ...base, type: "call.status", status: "live", new_field: 1 }).ok);
});

test("protocol: malformed or unknown events are rejected", () => {
  const bad = [
    null,
    "text",
    { ...base, type: "transcript.final" },
    { ...base, type: "transcript.final", segment: { id: "s", start: 0, end: 1, speaker: "boss", text: "x" } },
    { ...base, type: "call.status", status: "paused" },
    { ...base, type: "transcript.relabelled", segments: [{ id: "s", start: 0, end: 1, speaker: "boss", text: "x" }] },
    { ...base, seq: -1, type: "call.status", status: "live" },
    { ...base, seq: 1.5, type: "call.status", status: "live" },
    { call_id: "c1", ts: 1, type: "call.status", status: "live" },
    { ...base, type: "compliance.flag", segment_id: "s", flag: { rule_id: "r", category: "c", severity: "urgent", match: "", suggestion: "" } },
    { ...base, type: "script.run", code: "alert(1)" },
  ];
  for (const raw of bad) assertEqual(checkEvent(raw).ok, false, JSON.stringify(raw));
});

test("protocol: audio socket replies", () => {
  assert(checkAudioReply({ type: "started", call_id: "c1", resumed: false }).ok);
  assert(checkAudioReply({ type: "stopped", call_id: "c1" }).ok);
  assert(checkAudioReply({ type: "error", code: "bad_frame", message: "odd length" }).ok);
  assertEqual(checkAudioReply({ type: "hello" }).ok, false);
  assertEqual(checkAudioReply({ type: "started" }).ok, false);
});
