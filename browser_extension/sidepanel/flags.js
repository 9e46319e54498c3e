// Compliance warnings raised by what the rep said on the call.

import { clear, h } from "../lib/dom.js";
import { COMPLIANCE, SEVERITY, label } from "../lib/labels.js";

export function renderFlags(container, flags) {
  clear(container);
  if (!flags.length) return;
  container.append(h("h2", { text: `合规提醒（${flags.length}）` }));
  for (const flag of flags) {
    const evidence = flag.evidence && flag.evidence.text;
    container.append(
      h(
        "article",
        { class: `card flag severity-${flag.severity}`, role: "alert", dataset: { rule: flag.rule_id } },
        h(
          "div",
          { class: "flag-head" },
          h("span", { class: `pill severity-${flag.severity}`, text: label(SEVERITY, flag.severity) }),
          h("strong", { text: label(COMPLIANCE, flag.category) }),
        ),
        h("p", { class: "match", text: `「${flag.match}」` }),
        h("p", { class: "advice", text: flag.suggestion }),
        evidence ? h("p", { class: "evidence-inline", text: `原话：${evidence}` }) : null,
      ),
    );
  }
}
