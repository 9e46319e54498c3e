// 「我的待办」: the rep's open follow-ups from confirmed calls (what was promised, for which
// customer, by when; overdue ones in red). Ticking one marks it done on the service.

import { apiFromSettings, describeError } from "../lib/api.js";
import { clear, h } from "../lib/dom.js";
import { WHO, dayText, isOverdue, isoDay, label } from "../lib/labels.js";

// Soonest first; those without a date after the dated ones, then by subject.
export function sortFollowups(items) {
  return [...items].sort((a, b) => {
    if (a.due_date !== b.due_date) {
      if (!a.due_date) return 1;
      if (!b.due_date) return -1;
      return a.due_date < b.due_date ? -1 : 1;
    }
    return String(a.subject).localeCompare(String(b.subject), "zh-CN");
  });
}

// What one row shows: {subject, meta, due, overdue}.
export function followupView(item, today = isoDay()) {
  const overdue = !item.done && isOverdue(item.due_date, today);
  let due = item.due_date ? dayText(item.due_date, today) : item.due_text || "";
  if (item.due_date === today) due = `今天（${due}）`;
  if (overdue) due = `已逾期 · ${due}`;
  const owner = item.owner === "customer" ? `${label(WHO, "customer")}负责` : "";
  const meta = [item.customer_name || "未填客户", owner].filter(Boolean).join(" · ");
  return { subject: item.subject, meta, due, overdue };
}

export function setupFollowups(container) {
  const list = h("ul", { class: "followups" });
  const status = h("p", { class: "status small", role: "status" });
  const refresh = h("button", { type: "button", class: "refresh", text: "刷新" });
  clear(container).append(
    h("div", { class: "section-head" }, h("h2", { text: "我的待办" }), refresh),
    h("p", { class: "muted small", text: "已归档通话里的跟进事项，勾选表示已完成。" }),
    status,
    list,
  );

  function row(item) {
    const view = followupView(item);
    const box = h("input", { type: "checkbox", "aria-label": `完成：${item.subject}` });
    box.checked = Boolean(item.done);
    const error = h("p", { class: "error small", role: "alert" });
    const node = h(
      "li",
      { class: `followup card${view.overdue ? " overdue" : ""}${item.done ? " done" : ""}`, dataset: { id: item.id } },
      h(
        "label",
        { class: "followup-main" },
        box,
        h(
          "span",
          { class: "followup-text" },
          h("span", { class: "subject", text: view.subject }),
          h("span", { class: "meta small", text: view.meta }),
          view.due ? h("span", { class: `due small${view.overdue ? " overdue" : ""}`, text: view.due }) : null,
        ),
      ),
      error,
    );
    box.addEventListener("change", async () => {
      const done = box.checked;
      box.disabled = true;
      error.textContent = "";
      try {
        const api = await apiFromSettings();
        const saved = await api.setFollowupDone(item.id, done);
        item.done = Boolean(saved ? saved.done : done);
        node.classList.toggle("done", item.done);
        node.classList.toggle("overdue", followupView(item).overdue);
      } catch (err) {
        box.checked = !done; // the service did not take it: show it as it is there
        error.textContent = `没有保存：${describeError(err)}`;
      } finally {
        box.disabled = false;
      }
    });
    return node;
  }

  async function load() {
    status.textContent = "加载中…";
    status.className = "status small";
    try {
      const api = await apiFromSettings();
      const { followups } = await api.listFollowups("open");
      clear(list);
      for (const item of sortFollowups(followups || [])) list.append(row(item));
      const overdue = (followups || []).filter((item) => followupView(item).overdue).length;
      status.textContent = followups && followups.length ? `${followups.length} 项待办${overdue ? `，${overdue} 项已逾期` : ""}` : "暂无待办";
      status.dataset.count = String((followups || []).length);
    } catch (error) {
      status.textContent = `无法加载待办：${describeError(error)}`;
      status.className = "status small error";
    }
  }

  refresh.addEventListener("click", load);
  return { load };
}
