import { allowStop, callTimeS, createChecklist, reminder, renderChecklist, tick, unsaidMustSay } from "../sidepanel/checklist.js";
import { checkEvent } from "../lib/protocol.js";
import { assert, assertEqual, test } from "./harness.js";

const ITEMS = [
  { key: "budget", label: "确认预算", must_say: false, position: 2 },
  { key: "recording_notice", label: "录音告知", must_say: true, position: 0 },
  { key: "self_intro", label: "自报家门", must_say: true, position: 1 },
];
const said = (key, segment = "seg-0001") => ({
  type: "scorecard.item", call_id: "c1", seq: 1, ts: 1, segment_id: segment, key,
  label: key, must_say: key !== "budget", evidence: "本次通话会被录音", by: "words",
});

test("checklist: items in the org's order; each item ticks once", () => {
  const list = createChecklist(ITEMS, 300);
  assertEqual(list.items.map((i) => i.key), ["recording_notice", "self_intro", "budget"]);
  assert(checkEvent(said("recording_notice")).ok);
  assertEqual(tick(list, said("recording_notice")), true);
  assertEqual(tick(list, said("recording_notice", "seg-0009")), false);
  assertEqual(list.ticked.get("recording_notice").segmentId, "seg-0001");
  assertEqual(unsaidMustSay(list).map((i) => i.key), ["self_intro"]);
});

test("checklist: the reminder comes at the org's point of call time, not before", () => {
  const list = createChecklist(ITEMS, 300);
  assertEqual(callTimeS([{ end: 12 }, { end: 299.5 }, { end: 40 }]), 299.5);
  assertEqual(reminder(list, { callS: 299.5 }), null);
  const note = reminder(list, { callS: 300 });
  assertEqual(note.kind, "time");
  assertEqual(note.text, "还没说：录音告知、自报家门");
  assertEqual(reminder(list, { callS: 10, live: false }).text, "本次通话未说：录音告知、自报家门");
  tick(list, said("recording_notice"));
  tick(list, said("self_intro"));
  assertEqual(reminder(list, { callS: 900 }), null, "everything must-say was said");
});

test("checklist: 停止 with must-say items unsaid reminds first, stops on the second press", () => {
  const list = createChecklist(ITEMS, 300);
  assertEqual(allowStop(list), false);
  assertEqual(reminder(list, { callS: 10 }).kind, "stop");
  assertEqual(allowStop(list), true);
  const done = createChecklist(ITEMS, 300);
  tick(done, said("recording_notice"));
  tick(done, said("self_intro"));
  assertEqual(allowStop(done), true, "nothing to remind of: stop at once");
});

test("checklist: renders ticks, must-say pills and the reminder", () => {
  const list = createChecklist(ITEMS, 60);
  tick(list, said("self_intro"));
  const box = document.createElement("section");
  renderChecklist(box, list, { callS: 61 });
  assertEqual(box.querySelector("h2").textContent, "通话清单（1/3）");
  assertEqual([...box.querySelectorAll("li.ticked")].map((li) => li.dataset.key), ["self_intro"]);
  assertEqual(box.querySelectorAll(".pill.must-say").length, 2);
  assertEqual(box.querySelector(".checklist-reminder").textContent, "还没说：录音告知");
  renderChecklist(box, createChecklist([], 60));
  assertEqual(box.childElementCount, 0, "no items: nothing shown");
});
