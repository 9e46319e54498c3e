// Suggestion cards: what to say next, from the knowledge base. Copy, mark used or dismiss;
// the mark goes back to the service as feedback.

import { clear, h } from "../lib/dom.js";
import { OBJECTIONS, SUGGESTION_KINDS, label } from "../lib/labels.js";

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (no focus): the old way still works from a click.
    const area = h("textarea", { class: "offscreen-copy" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

// feedback: Map entry id → {state: "used" | "dismissed" | "sending", error}
export function renderSuggestions(container, groups, feedback, { onCopy, onFeedback }) {
  clear(container);
  const visible = groups
    .map((group) => ({ ...group, items: group.items.filter((item) => feedback.get(item.id)?.state !== "dismissed") }))
    .filter((group) => group.items.length);
  if (!visible.length) return;
  container.append(h("h2", { text: "推荐话术" }));
  for (const group of visible) {
    const heading = group.objection ? `${label(OBJECTIONS, group.objection)}` : "相关资料";
    container.append(
      h(
        "section",
        { class: "suggestion-group", dataset: { segmentId: group.segmentId } },
        h(
          "div",
          { class: "group-head" },
          h("span", { text: heading }),
          group.provisional ? h("span", { class: "pill early", title: "客户还没说完，根据已听到的内容提前推荐", text: "提前" }) : null,
        ),
        group.items.map((item) => suggestionCard(item, feedback.get(item.id), { onCopy, onFeedback })),
      ),
    );
  }
}

// Long battlecards are clamped to a few lines; a click shows the rest.
function longText(text) {
  const body = h("p", { class: text.length > 120 ? "suggestion-text clamped" : "suggestion-text", text });
  if (text.length <= 120) return body;
  const more = h("button", { class: "more", type: "button", text: "展开全文" });
  const toggle = () => {
    const open = body.classList.toggle("clamped") === false;
    more.textContent = open ? "收起" : "展开全文";
  };
  body.addEventListener("click", toggle);
  more.addEventListener("click", toggle);
  return h("div", {}, body, more);
}

function suggestionCard(item, mark, { onCopy, onFeedback }) {
  const used = mark && mark.state === "used";
  const sending = mark && mark.state === "sending";
  return h(
    "article",
    { class: `card suggestion${used ? " used" : ""}`, dataset: { entryId: item.id } },
    h(
      "div",
      { class: "suggestion-head" },
      h("span", { class: "pill kind", text: label(SUGGESTION_KINDS, item.kind) }),
      h("strong", { class: "title", text: item.title }),
    ),
    longText(item.text),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "copy", type: "button", onclick: (event) => onCopy(item, event.currentTarget), text: "复制" }),
      h("button", { class: "use", type: "button", disabled: used || sending, onclick: () => onFeedback(item, "used"), text: used ? "已使用 ✓" : "已使用" }),
      h("button", { class: "dismiss", type: "button", disabled: used || sending, onclick: () => onFeedback(item, "dismissed"), text: "忽略" }),
    ),
    mark && mark.error ? h("p", { class: "error", text: mark.error }) : null,
  );
}
