// Message check, part 2 of 3: the dialog shown on the chat page. It lives in a shadow root
// so the page's styles cannot change it, and only textContent is ever set (no HTML from
// the page or the service is parsed).
"use strict";

(() => {
  const ns = (globalThis.__copilotCheck = globalThis.__copilotCheck || {});
  if (ns.dialog) return;

  const STYLE = `
    :host { all: initial; }
    .box { position: fixed; right: 16px; bottom: 16px; z-index: 2147483647; box-sizing: border-box;
      width: min(380px, calc(100vw - 32px)); max-height: calc(100vh - 32px); overflow: auto;
      background: #fff; color: #1f2328; border-radius: 10px; padding: 14px 16px;
      box-shadow: 0 8px 28px rgba(0,0,0,.22); border-top: 4px solid #d1242f;
      font: 14px/1.55 -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
    .box.warn { border-top-color: #bf8700; }
    .box.info { border-top-color: #0969da; }
    h2 { font-size: 15px; margin: 0 0 8px; }
    ul { margin: 0 0 10px; padding: 0; list-style: none; }
    li { margin: 0 0 8px; padding: 8px; background: #fff5f5; border-radius: 6px; }
    .warn li { background: #fff8e5; }
    .tag { display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 4px; margin-right: 6px;
      background: #d1242f; color: #fff; }
    .tag.medium, .tag.low { background: #bf8700; }
    .match { font-weight: 600; }
    .advice { color: #57606a; font-size: 13px; margin-top: 2px; }
    .label { font-size: 12px; color: #57606a; margin: 8px 0 4px; }
    .rewrite { padding: 8px; background: #f0f7ff; border-radius: 6px; white-space: pre-wrap; }
    .buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
    button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid #d0d7de;
      background: #f6f8fa; cursor: pointer; }
    button.primary { background: #1f883d; border-color: #1f883d; color: #fff; }
    button.danger { color: #d1242f; }
    button:disabled { opacity: .5; cursor: default; }
    textarea { box-sizing: border-box; width: 100%; min-height: 56px; font: inherit; padding: 6px;
      border: 1px solid #d0d7de; border-radius: 6px; resize: vertical; }
    .error { color: #d1242f; font-size: 13px; margin-top: 6px; }
  `;

  let host = null;
  let root = null;
  let hideTimer = null;

  function ensureRoot() {
    if (host && host.isConnected) return root;
    host = document.createElement("copilot-message-check");
    // Keep the page's own handlers (shortcuts, outside-click closers) out of the dialog.
    for (const type of ["click", "keydown", "keyup", "keypress", "input", "mousedown", "pointerdown"]) {
      host.addEventListener(type, (event) => event.stopPropagation());
    }
    root = host.attachShadow({ mode: "open" });
    const style = document.createElement("style");
    style.textContent = STYLE;
    root.append(style);
    document.documentElement.append(host);
    return root;
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children.filter(Boolean));
    return node;
  }

  function show(box, { autoHideMs = 0 } = {}) {
    close();
    const shadow = ensureRoot();
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-live", "assertive");
    shadow.append(box);
    if (autoHideMs) hideTimer = setTimeout(close, autoHideMs);
    return box;
  }

  function close() {
    clearTimeout(hideTimer);
    if (root) root.querySelectorAll(".box").forEach((box) => box.remove());
  }

  function isOurs(event) {
    return Boolean(host) && event.composedPath().includes(host);
  }

  function flagList(flags) {
    return el(
      "ul",
      {},
      ...flags.map((flag) =>
        el(
          "li",
          { class: "flag" },
          el("span", { class: `tag ${flag.severity}`, text: `${flag.severity_label}·${flag.category_label}` }),
          el("span", { class: "match", text: `「${flag.match}」` }),
          el("div", { class: "advice", text: flag.suggestion }),
        ),
      ),
    );
  }

  function rewriteBlock(rewrite) {
    if (!rewrite) return null;
    return el("div", {}, el("div", { class: "label", text: "合规改写建议" }), el("div", { class: "rewrite", text: rewrite }));
  }

  // High severity: the message is held until the rep replaces, edits, or sends with a reason.
  function showHold({ flags, rewrite, onReplace, onEdit, onSendAnyway }) {
    const reason = el("textarea", { placeholder: "请说明仍然发送的原因（将记入审计记录）", maxlength: "2000" });
    const error = el("div", { class: "error" });
    const confirm = el("button", { class: "danger", text: "确认发送" });
    reason.addEventListener("input", () => {
      error.textContent = "";
    });
    const anyway = el("div", { class: "anyway", hidden: "" }, el("div", { class: "label", text: "仍然发送" }), reason, error, el("div", { class: "buttons" }, confirm));
    confirm.addEventListener("click", async () => {
      const text = reason.value.trim();
      if (!text) {
        error.textContent = "请填写原因";
        reason.focus();
        return;
      }
      confirm.disabled = true;
      error.textContent = "正在记录…";
      const problem = await onSendAnyway(text);
      if (problem) {
        error.textContent = problem;
        confirm.disabled = false;
      }
    });
    const box = el(
      "div",
      { class: "box hold" },
      el("h2", { text: "这条消息存在合规风险，已暂停发送" }),
      flagList(flags),
      rewriteBlock(rewrite),
      el(
        "div",
        { class: "buttons" },
        rewrite ? el("button", { class: "primary", text: "替换", onclick: () => onReplace(rewrite) }) : null,
        el("button", { text: "修改", onclick: () => onEdit() }),
        el("button", {
          class: "danger",
          text: "仍然发送",
          onclick: () => {
            anyway.hidden = false;
            reason.focus();
          },
        }),
      ),
      anyway,
    );
    return show(box);
  }

  // Medium / low: the message goes out; the rep sees what to avoid next time.
  function showWarn({ flags, rewrite }) {
    const box = el(
      "div",
      { class: "box warn" },
      el("h2", { text: "已发送，但有需要注意的表述" }),
      flagList(flags),
      rewriteBlock(rewrite),
      el("div", { class: "buttons" }, el("button", { text: "知道了", onclick: close })),
    );
    return show(box, { autoHideMs: 20000 });
  }

  // The service could not be reached: never block silently; the mode says what is offered.
  function showUnreachable({ message, mode, onRetry, onSendAnyway, onCancel }) {
    const title =
      mode === "closed" ? "无法连接合规检查服务，按公司设置消息暂不能发送" : "无法连接合规检查服务，消息尚未检查";
    const box = el(
      "div",
      { class: "box warn unreachable" },
      el("h2", { text: title }),
      el("div", { class: "advice", text: message }),
      el(
        "div",
        { class: "buttons" },
        el("button", { class: "primary", text: "重试", onclick: onRetry }),
        mode === "closed" ? null : el("button", { class: "danger", text: "仍然发送", onclick: onSendAnyway }),
        el("button", { text: "取消", onclick: onCancel }),
      ),
    );
    return show(box);
  }

  function showNote(text, { kind = "info", autoHideMs = 6000 } = {}) {
    return show(el("div", { class: `box ${kind} note` }, el("div", { text })), { autoHideMs });
  }

  ns.dialog = { showHold, showWarn, showUnreachable, showNote, close, isOurs };
})();
