// The call's scorecard checklist: the org's items (GET /v1/scorecard/items), ticked as the
// service reports the rep saying them (`scorecard.item` events), and reminders of must-say
// items still unsaid — once the call passes the org's reminder point (call time, e.g. 5 min)
// and when the rep presses 停止录音 before the call ends.
//
// The state part is pure (no DOM), so a test can feed it events; renderChecklist draws it.

import { clear, h } from "../lib/dom.js";

export const DEFAULT_REMIND_AFTER_S = 300;

export function createChecklist(items = [], remindAfterS = DEFAULT_REMIND_AFTER_S) {
  return {
    items: [...items].sort((a, b) => a.position - b.position),
    remindAfterS,
    ticked: new Map(), // item key → {segmentId, evidence, by}
    stopWarned: false, // the rep was reminded when pressing 停止 and may now stop
  };
}

// A `scorecard.item` event (already validated); true when it ticked something new.
export function tick(checklist, event) {
  if (checklist.ticked.has(event.key)) return false;
  checklist.ticked.set(event.key, { segmentId: event.segment_id, evidence: event.evidence, by: event.by });
  return true;
}

export function unsaidMustSay(checklist) {
  return checklist.items.filter((item) => item.must_say && !checklist.ticked.has(item.key));
}

// Call time the rep has been talking: the end of the last final segment (seconds).
export function callTimeS(finals) {
  return finals.reduce((latest, segment) => Math.max(latest, segment.end || 0), 0);
}

// The reminder to show now, or null: past the reminder point, or after 停止 was pressed;
// once the call ended, what it missed (the rep's scorecard will show it too).
export function reminder(checklist, { callS = 0, live = true } = {}) {
  const unsaid = unsaidMustSay(checklist);
  if (!unsaid.length) return null;
  const labels = unsaid.map((item) => item.label).join("、");
  if (!live) return { kind: "missed", text: `本次通话未说：${labels}` };
  if (checklist.stopWarned) return { kind: "stop", text: `结束前请说：${labels}。再次点击「停止录音」即结束通话。` };
  if (callS >= checklist.remindAfterS) return { kind: "time", text: `还没说：${labels}` };
  return null;
}

// Whether 停止 may go ahead now: false the first time must-say items are unsaid (the panel
// shows the reminder instead), true on the second press or when everything was said.
export function allowStop(checklist) {
  if (!unsaidMustSay(checklist).length || checklist.stopWarned) return true;
  checklist.stopWarned = true;
  return false;
}

export function renderChecklist(container, checklist, { callS = 0, live = true } = {}) {
  clear(container);
  if (!checklist || !checklist.items.length) return;
  const done = checklist.items.filter((item) => checklist.ticked.has(item.key)).length;
  container.append(h("h2", { text: `通话清单（${done}/${checklist.items.length}）` }));
  const note = reminder(checklist, { callS, live });
  if (note) {
    container.append(h("p", { class: `banner warn checklist-reminder reminder-${note.kind}`, role: "alert", text: note.text }));
  }
  const list = h("ul", { class: "checklist" });
  for (const item of checklist.items) {
    const hit = checklist.ticked.get(item.key);
    list.append(
      h(
        "li",
        {
          class: `check-item ${hit ? "ticked" : "pending"}${item.must_say ? " must" : ""}`,
          dataset: { key: item.key, ticked: String(Boolean(hit)) },
          title: hit ? `原话：${hit.evidence}` : "",
        },
        h("span", { class: "check-mark", "aria-hidden": "true", text: hit ? "✓" : "○" }),
        h("span", { class: "check-label", text: item.label }),
        item.must_say ? h("span", { class: "pill must-say", text: "必说" }) : null,
      ),
    );
  }
  container.append(list);
}
