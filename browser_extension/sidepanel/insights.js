// Insight cards: budget, decision chain, pain points, objections, competitors, commitments.
// Every item shows the words it came from when hovered or focused.

import { h } from "../lib/dom.js";
import { OBJECTIONS, PAIN_POINTS, WHO, budgetText, label } from "../lib/labels.js";

function evidenceOf(item) {
  return item && item.evidence && typeof item.evidence.text === "string" ? item.evidence.text : "";
}

// One line of a card; the evidence tooltip is plain text in a child element (CSS shows it).
function line(text, item, extra = {}) {
  const evidence = evidenceOf(item);
  return h(
    "li",
    { class: evidence ? "item has-evidence" : "item", tabindex: evidence ? "0" : null, ...extra },
    h("span", { class: "item-text", text }),
    evidence ? h("span", { class: "evidence", role: "tooltip", text: `原话：「${evidence}」` }) : null,
  );
}

function card(kind, title, items) {
  return h(
    "article",
    { class: `card insight insight-${kind}`, dataset: { kind } },
    h("h3", { text: title }),
    items.length ? h("ul", {}, items) : h("p", { class: "empty", text: "暂无" }),
  );
}

const list = (value) => (Array.isArray(value) ? value : []);

export function insightCards(insights) {
  const data = insights || {};
  const budget = data.budget ? [line(budgetText(data.budget), data.budget)] : [];
  const people = list(data.decision_chain).map((p) => {
    const role = p.role && p.role !== p.name ? `（${p.role}）` : "";
    return line(`${p.order ? `${p.order}. ` : ""}${p.name}${role}`, p);
  });
  const pains = list(data.pain_points).map((p) => line(`${label(PAIN_POINTS, p.category)}：${p.text}`, p));
  const objections = list(data.objections).map((o) => line(`${label(OBJECTIONS, o.type)}：${o.text}`, o));
  const competitors = list(data.competitors).map((c) =>
    line(c.heard && c.heard !== c.name ? `${c.name}（听到「${c.heard}」）` : c.name, c),
  );
  const commitments = list(data.commitments).map((c) =>
    line(`${label(WHO, c.who)}：${c.what}${c.due ? `（${c.due}）` : ""}`, c),
  );
  return [
    card("budget", "预算", budget),
    card("decision", "决策链", people),
    card("pain", "痛点", pains),
    card("objection", "异议", objections),
    card("competitor", "竞品", competitors),
    card("commitment", "承诺事项", commitments),
  ];
}
