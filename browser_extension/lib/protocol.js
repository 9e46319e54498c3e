// Every message between the extension's parts, and every event from the service, is checked
// here before anyone acts on it. Messages are shaped {type, target, data}; a type not listed
// is dropped, as is a message from a part that may not send it.

import {
  anyObject,
  arrayOf,
  boolean,
  number,
  object,
  oneOf,
  string,
} from "./schema.js";

const callId = string({ min: 1, max: 64 });
const shortText = string({ max: 200 });
const hotwords = arrayOf(string({ max: 50 }), { max: 200 });

export const CAPTURE_STATES = [
  "starting",
  "streaming",
  "reconnecting",
  "stopping",
  "stopped",
  "error",
];

// type → who may send it (see senderKind), who handles it, and the shape of `data`.
export const MESSAGES = {
  // side panel → service worker
  "capture.start": {
    from: ["extension"],
    target: "background",
    data: object({ call_id: callId, customer_name: shortText, hotwords }),
  },
  "capture.stop": { from: ["extension"], target: "background", data: object({}) },
  // service worker → offscreen document
  "offscreen.start": {
    from: ["background"],
    target: "offscreen",
    data: object({
      call_id: callId,
      ws_url: string({ min: 1, max: 2000 }),
      stream_id: string({ max: 500, optional: true }),
      mic: boolean(),
      customer_name: shortText,
      hotwords,
    }),
  },
  "offscreen.stop": { from: ["background"], target: "offscreen", data: object({}) },
  // offscreen document → service worker
  "offscreen.status": {
    from: ["offscreen"],
    target: "background",
    data: object({
      call_id: callId,
      status: oneOf(CAPTURE_STATES),
      sources: object({ mic: boolean(), tab: boolean() }),
      seconds: number({ min: 0 }),
      message: string({ max: 500, optional: true }),
    }),
  },
  "offscreen.token": { from: ["offscreen"], target: "background", data: object({ call_id: callId }) },
  // content script (chat pages) → service worker
  "check.config": { from: ["content"], target: "background", data: object({}) },
  "check.scan": {
    from: ["content"],
    target: "background",
    data: object({ text: string({ min: 1, max: 20000 }) }),
  },
  "check.override": {
    from: ["content"],
    target: "background",
    data: object({
      flag_ids: arrayOf(string({ min: 1, max: 64 }), { max: 50 }),
      reason: string({ min: 1, max: 2000 }),
    }),
  },
};

export function message(type, data = {}) {
  const spec = MESSAGES[type];
  if (!spec) throw new Error(`unknown message type ${type}`);
  return { type, target: spec.target, data };
}

// Which part of the extension sent a runtime message. Null: not ours.
export function senderKind(sender, extensionId, extensionOrigin) {
  if (!sender || sender.id !== extensionId) return null;
  const url = sender.url || "";
  if (url.startsWith(extensionOrigin)) {
    const path = url.slice(extensionOrigin.length).split(/[?#]/)[0];
    if (path === "background.js") return "background";
    if (path.startsWith("offscreen/")) return "offscreen";
    return "extension";
  }
  return sender.tab ? "content" : null;
}

// {ok: true, message} to handle; {ok: false, error} to drop (and log); null when the message
// is addressed to another part (runtime messages reach every extension page).
export function checkMessage(raw, { target, from }) {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, error: "not an object" };
  }
  if (typeof raw.target === "string" && raw.target !== target) return null;
  const spec = Object.hasOwn(MESSAGES, raw.type) ? MESSAGES[raw.type] : null;
  if (!spec) return { ok: false, error: `unknown type ${String(raw.type).slice(0, 40)}` };
  if (spec.target !== target) return null;
  const extra = Object.keys(raw).find((key) => !["type", "target", "data"].includes(key));
  if (extra) return { ok: false, error: `unexpected field ${extra}` };
  if (!spec.from.includes(from)) return { ok: false, error: `${raw.type} may not come from ${from}` };
  const problem = spec.data(raw.data ?? {}, "data");
  if (problem) return { ok: false, error: `${raw.type}: ${problem}` };
  return { ok: true, message: { type: raw.type, target, data: raw.data ?? {} } };
}

// -- events from the service (docs/service.md, "WebSockets") ---------------------------------

const evidence = object({ text: string({ max: 5000 }) }, { extra: true, optional: true });
const segment = object(
  {
    id: string({ min: 1, max: 100 }),
    start: number(),
    end: number(),
    speaker: oneOf(["rep", "customer", "unknown"]),
    text: string({ max: 20000 }),
  },
  { extra: true },
);
const suggestionItem = object(
  {
    id: string({ min: 1, max: 200 }),
    kind: string({ max: 50 }),
    title: string({ max: 500 }),
    text: string({ max: 20000 }),
  },
  { extra: true },
);
const flag = object(
  {
    rule_id: string({ max: 200 }),
    category: string({ max: 100 }),
    severity: oneOf(["high", "medium", "low"]),
    match: string({ max: 2000 }),
    suggestion: string({ max: 5000 }),
    evidence,
    flag_id: string({ max: 64, optional: true }),
  },
  { extra: true },
);
const segmentId = string({ max: 100 });

const EVENT_BODIES = {
  "transcript.partial": { segment },
  "transcript.final": { segment },
  "transcript.relabelled": {
    segments: arrayOf(segment, { max: 5000 }),
    withdrawn_flags: arrayOf(string({ max: 64 }), { max: 1000, optional: true }),
  },
  insight: { segment_id: segmentId, insights: anyObject(), call_insights: anyObject() },
  suggestion: {
    segment_id: segmentId,
    provisional: boolean({ optional: true }),
    result: object(
      {
        objection: string({ max: 100, optional: true }), // null: no objection heard
        suggestions: arrayOf(suggestionItem, { max: 50 }),
      },
      { extra: true },
    ),
  },
  "compliance.flag": { segment_id: segmentId, flag },
  "scorecard.item": {
    segment_id: segmentId,
    key: string({ min: 1, max: 32 }),
    label: string({ max: 40 }),
    must_say: boolean(),
    evidence: string({ max: 20000 }),
    by: oneOf(["words", "sound"]),
  },
  "call.status": {
    status: oneOf(["live", "ended", "interrupted"]),
    asr_lag_s: number({ optional: true }),
  },
  "call.summary": { summary: anyObject() },
  error: { code: string({ max: 200 }), message: string({ max: 5000 }), fatal: boolean({ optional: true }) },
};

export const EVENT_TYPES = Object.keys(EVENT_BODIES);

const EVENT_SCHEMAS = Object.fromEntries(
  Object.entries(EVENT_BODIES).map(([type, body]) => [
    type,
    object(
      {
        type: string(),
        call_id: callId,
        seq: number({ integer: true, min: 0 }),
        ts: number(),
        ...body,
      },
      { extra: true },
    ),
  ]),
);

// {ok: true, event} or {ok: false, error}; unknown event types are not ok (dropped).
export function checkEvent(raw) {
  if (!raw || typeof raw !== "object") return { ok: false, error: "not an object" };
  const schema = Object.hasOwn(EVENT_SCHEMAS, raw.type) ? EVENT_SCHEMAS[raw.type] : null;
  if (!schema) return { ok: false, error: `unknown event type ${String(raw.type).slice(0, 40)}` };
  const problem = schema(raw);
  return problem ? { ok: false, error: `${raw.type}: ${problem}` } : { ok: true, event: raw };
}

// Answers on the audio socket: started, stopped, error (warnings keep the socket open).
const AUDIO_REPLIES = {
  started: object({ type: string(), call_id: callId, resumed: boolean({ optional: true }) }, { extra: true }),
  stopped: object({ type: string(), call_id: callId }, { extra: true }),
  error: object({ type: string(), code: string({ max: 200 }), message: string({ max: 5000 }) }, { extra: true }),
};

export function checkAudioReply(raw) {
  if (!raw || typeof raw !== "object") return { ok: false, error: "not an object" };
  const schema = Object.hasOwn(AUDIO_REPLIES, raw.type) ? AUDIO_REPLIES[raw.type] : null;
  if (!schema) return { ok: false, error: `unknown reply type ${String(raw.type).slice(0, 40)}` };
  const problem = schema(raw);
  return problem ? { ok: false, error: problem } : { ok: true, reply: raw };
}
