// One editor per review field (summary text, next steps, budget, decision chain, pain points,
// objections, competitors). An editor keeps the item objects the service sent and overlays
// only what the rep typed, so keys the panel does not show (evidence, order, source…) go back
// unchanged. read() gives the value in the shape `PATCH /v1/calls/{id}/review/{name}` takes.

import { h } from "../lib/dom.js";
import { OBJECTIONS, PAIN_POINTS, PERIODS, WHO, budgetText, label } from "../lib/labels.js";

const evidenceText = (item) =>
  item && item.evidence && typeof item.evidence.text === "string" ? item.evidence.text : "";

// "60" / "60.5" / "" (万元) → yuan, null, or NaN when it is not a number.
export function parseWan(text) {
  const trimmed = String(text ?? "").trim().replace(/[,，\s]/g, "");
  if (!trimmed) return null;
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return Number.NaN;
  return Math.round(Number(trimmed) * 10000);
}

// yuan → "60" (万元) for the budget inputs.
export const toWan = (amount) =>
  typeof amount === "number" && Number.isFinite(amount) ? String(Math.round(amount / 100) / 100) : "";

// The budget the rep typed over the one the service found: {ok, value} or {ok: false, error}.
export function budgetFrom(original, minText, maxText) {
  const min = parseWan(minText);
  const max = parseWan(maxText);
  if (Number.isNaN(min) || Number.isNaN(max)) return { ok: false, error: "金额请填数字（单位：万元）" };
  if (min === null && max === null) return { ok: false, error: "至少填一个金额；不想归档预算请点「跳过」" };
  if (min !== null && max !== null && min > max) return { ok: false, error: "最低金额不能高于最高金额" };
  return { ok: true, value: { ...original, amount_min: min, amount_max: max } };
}

// What the rows of each list field show and edit.
const LISTS = {
  next_steps: {
    empty: "没有识别到承诺事项",
    inputs: [
      { key: "who", kind: "select", options: WHO, aria: "谁来做" },
      { key: "what", kind: "text", required: "要做的事", aria: "要做的事" },
      { key: "due_date", kind: "date", aria: "截止日期" },
    ],
    note: (item) => (item.due ? `原话期限：${item.due}` : ""),
  },
  decision_chain: {
    empty: "没有识别到决策人",
    inputs: [
      { key: "name", kind: "text", required: "姓名/称呼", aria: "姓名或称呼" },
      { key: "role", kind: "text", aria: "职务", placeholder: "职务" },
    ],
  },
  pain_points: {
    empty: "没有识别到痛点",
    caption: (item) => label(PAIN_POINTS, item.category),
    inputs: [{ key: "text", kind: "area", required: "痛点描述", aria: "痛点描述" }],
  },
  objections: {
    empty: "没有识别到异议",
    caption: (item) => label(OBJECTIONS, item.type),
    inputs: [{ key: "text", kind: "area", required: "异议描述", aria: "异议描述" }],
  },
  competitors: {
    empty: "没有提到竞品",
    inputs: [{ key: "name", kind: "text", required: "竞品名称", aria: "竞品名称" }],
  },
};

function evidenceLine(item) {
  const text = evidenceText(item);
  return text ? h("p", { class: "evidence-line", text: `原话：「${text}」` }) : null;
}

function control(spec, item, onInput) {
  const value = item[spec.key];
  let node;
  if (spec.kind === "select") {
    node = h(
      "select",
      { "aria-label": spec.aria, dataset: { key: spec.key } },
      Object.entries(spec.options).map(([id, text]) => h("option", { value: id, text })),
    );
    node.value = value || Object.keys(spec.options)[0];
  } else if (spec.kind === "area") {
    node = h("textarea", { rows: "2", "aria-label": spec.aria, dataset: { key: spec.key } });
    node.value = value || "";
  } else {
    node = h("input", {
      type: spec.kind === "date" ? "date" : "text",
      "aria-label": spec.aria,
      placeholder: spec.placeholder || spec.aria,
      maxlength: spec.kind === "date" ? null : "200",
      dataset: { key: spec.key },
    });
    node.value = value || "";
  }
  node.addEventListener("input", onInput);
  node.addEventListener("change", onInput);
  return node;
}

function listEditor(name, items, onInput) {
  const spec = LISTS[name];
  const rows = [];
  const list = h("ul", { class: "review-items" });
  function removeRow(row) {
    rows.splice(rows.indexOf(row), 1);
    row.node.remove();
    if (!rows.length) list.append(h("li", { class: "empty", text: "已全部删除" }));
    onInput();
  }
  for (const item of items) {
    const controls = spec.inputs.map((input) => control(input, item, onInput));
    const row = { item, controls, node: null };
    const remove = h("button", { type: "button", class: "remove", "aria-label": "删除这一条", title: "删除", text: "删除" });
    remove.addEventListener("click", () => removeRow(row));
    const caption = spec.caption ? spec.caption(item) : "";
    const note = spec.note ? spec.note(item) : "";
    row.node = h(
      "li",
      { class: `review-item review-item-${name}` },
      h("div", { class: "item-head" }, caption ? h("span", { class: "pill", text: caption }) : null, remove),
      h("div", { class: "item-inputs" }, controls),
      note ? h("p", { class: "muted small", text: note }) : null,
      evidenceLine(item),
    );
    rows.push(row);
    list.append(row.node);
  }
  if (!items.length) list.append(h("li", { class: "empty", text: spec.empty }));

  function read() {
    const value = [];
    for (const row of rows) {
      const next = { ...row.item };
      for (const [i, input] of spec.inputs.entries()) {
        const raw = row.controls[i].value.trim();
        if (input.required && !raw) return { ok: false, error: `「${input.required}」不能为空；不要这一条请点「删除」` };
        next[input.key] = raw || (input.kind === "text" || input.kind === "area" ? "" : null);
        if (!input.required && input.kind === "text" && !raw) next[input.key] = null;
      }
      value.push(next);
    }
    return { ok: true, value };
  }
  return { node: list, read };
}

function summaryEditor(text, onInput) {
  const area = h("textarea", { class: "summary-edit", rows: "6", "aria-label": "总结", dataset: { key: "summary_text" } });
  area.value = text || "";
  // Tall enough for the whole summary at 320 px (about 16 characters a line), within reason.
  const lines = area.value.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 16)), 0);
  area.rows = Math.min(16, Math.max(4, lines));
  area.addEventListener("input", onInput);
  return {
    node: area,
    read: () => (area.value.trim() ? { ok: true, value: area.value } : { ok: false, error: "总结不能为空；不想归档总结请点「跳过」" }),
  };
}

function budgetEditor(budget, onInput) {
  if (!budget) {
    return { node: h("p", { class: "empty", text: "通话中没有提到预算" }), read: () => ({ ok: true, value: null }) };
  }
  const input = (value, aria) => {
    const node = h("input", { type: "text", inputmode: "decimal", class: "amount", "aria-label": aria, placeholder: "—" });
    node.value = toWan(value);
    node.addEventListener("input", onInput);
    return node;
  };
  const min = input(budget.amount_min, "最低金额（万元）");
  const max = input(budget.amount_max, "最高金额（万元）");
  const preview = h("p", { class: "muted small", text: budgetText(budget) });
  const period = budget.period && PERIODS[budget.period] ? ` · ${PERIODS[budget.period]}` : "";
  const read = () => budgetFrom(budget, min.value, max.value);
  const refresh = () => {
    const result = read();
    preview.textContent = result.ok ? budgetText(result.value) : result.error;
  };
  min.addEventListener("input", refresh);
  max.addEventListener("input", refresh);
  return {
    node: h(
      "div",
      // insight-budget: the same hook as the live budget card (tests read the amount there).
      { class: "budget-edit insight-budget" },
      h("div", { class: "row" }, min, h("span", { text: "–" }), max, h("span", { class: "small", text: `万元${period}` })),
      preview,
      evidenceLine(budget),
    ),
    read,
  };
}

// {node, read(), dirty()}: the editor for one field; onChange runs on every edit.
export function fieldEditor(name, value, onChange) {
  let editor;
  const changed = () => onChange && onChange();
  if (name === "summary_text") editor = summaryEditor(value, changed);
  else if (name === "budget") editor = budgetEditor(value, changed);
  else if (LISTS[name]) editor = listEditor(name, Array.isArray(value) ? value : [], changed);
  else editor = { node: h("pre", { class: "small", text: JSON.stringify(value, null, 1) }), read: () => ({ ok: true, value }) };
  const baseline = JSON.stringify(editor.read());
  return { ...editor, dirty: () => JSON.stringify(editor.read()) !== baseline };
}

// Turns every control inside a field on or off (after confirm the review is locked).
export function lockControls(root, locked) {
  for (const node of root.querySelectorAll("input, textarea, select, button")) node.disabled = locked;
}
