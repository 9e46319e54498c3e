// The live transcript: finals per speaker; partials shown as provisional until their final
// arrives (same segment id).

import { clear, h } from "../lib/dom.js";
import { SPEAKERS, clock, label } from "../lib/labels.js";

function row(segment, provisional) {
  return h(
    "li",
    {
      class: `utterance ${segment.speaker}${provisional ? " partial" : " final"}`,
      dataset: { segmentId: segment.id },
      "aria-live": provisional ? "off" : null,
    },
    h(
      "div",
      { class: "meta" },
      h("span", { class: "speaker", text: label(SPEAKERS, segment.speaker) }),
      h("span", { class: "time", text: clock(segment.start) }),
      provisional ? h("span", { class: "pill", text: "识别中" }) : null,
    ),
    h("p", { class: "text", text: provisional ? `${segment.text}…` : segment.text }),
  );
}

export function renderTranscript(list, state) {
  // Follow the newest line unless the rep scrolled up to read.
  const scroller = list.parentElement;
  const atBottom = !scroller || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  clear(list);
  for (const segment of state.finals) list.append(row(segment, false));
  const partials = [...state.partials.values()].sort((a, b) => a.start - b.start);
  for (const segment of partials) list.append(row(segment, true));
  if (!state.finals.length && !partials.length) {
    list.append(h("li", { class: "empty", text: "等待通话内容…" }));
  }
  if (scroller && atBottom) scroller.scrollTop = scroller.scrollHeight;
}
