// Message check, part 3 of 3: holds a draft when the rep sends it (Enter, a send button, a
// form submit), has the service scan it (through the service worker, which holds the API
// key), then sends it, warns, or holds it with the compliant rewrite.
"use strict";

(() => {
  const ns = globalThis.__copilotCheck;
  if (!ns || !ns.draft || !ns.dialog || ns.started) return;
  ns.started = true;
  const { draft, dialog } = ns;

  const BYPASS_MS = 10000; // a checked text may be sent again this long without a new check
  let config = null; // {selector, fail_mode, timeout_ms}; null: not a configured site
  let active = true;
  let lastFocused = null;
  let bypass = null; // {text, until}: the text that passed (or was overridden)
  let checking = false;
  let swallowEnterUp = false;

  function alive() {
    // After the extension is reloaded or removed this script is orphaned: step aside.
    if (active && !(globalThis.chrome && chrome.runtime && chrome.runtime.id)) active = false;
    return active;
  }

  function ask(type, data, timeoutMs) {
    const timeout = new Promise((resolve) =>
      setTimeout(() => resolve({ ok: false, error: { kind: "timeout", message: "扩展后台没有响应" } }), timeoutMs),
    );
    const answer = chrome.runtime
      .sendMessage({ type, target: "background", data })
      .then((reply) => reply || { ok: false, error: { kind: "internal", message: "扩展后台没有回答" } })
      .catch((error) => ({ ok: false, error: { kind: "unreachable", message: `扩展后台不可用：${error.message}` } }));
    return Promise.race([answer, timeout]);
  }

  // Answers from the service worker are checked like any other message before use.
  const isText = (value) => typeof value === "string";
  const FLAG_FIELDS = ["category_label", "severity", "severity_label", "match", "suggestion"];

  function validScan(answer) {
    if (!answer || typeof answer !== "object") return false;
    if (answer.ok !== true) return Boolean(answer.error && isText(answer.error.message));
    return (
      ["send", "warn", "hold"].includes(answer.action) &&
      Array.isArray(answer.flags) &&
      answer.flags.every((flag) => flag && FLAG_FIELDS.every((key) => isText(flag[key]))) &&
      Array.isArray(answer.flag_ids) &&
      answer.flag_ids.every(isText) &&
      (answer.rewrite === null || isText(answer.rewrite))
    );
  }

  function validConfig(config) {
    return (
      config === null ||
      (typeof config === "object" &&
        isText(config.selector) &&
        ["warn", "open", "closed"].includes(config.fail_mode) &&
        Number.isFinite(config.timeout_ms))
    );
  }

  function passes(text) {
    return bypass && bypass.text === text && Date.now() < bypass.until;
  }

  function send(how, text) {
    bypass = { text, until: Date.now() + BYPASS_MS };
    draft.resend(how);
    // Pages that only accept trusted events ignore the resend: then the rep presses send
    // once more, and the text goes through without another check.
    setTimeout(() => {
      if (how.element && how.element.isConnected && draft.readText(how.element).trim() === text) {
        dialog.showNote("已通过检查。如果消息还没发出，请再按一次发送。");
      }
    }, 400);
  }

  function hold(answer, text, how) {
    dialog.showHold({
      flags: answer.flags,
      rewrite: answer.rewrite,
      onReplace: (rewrite) => {
        draft.writeText(how.element, rewrite);
        dialog.showNote("已替换为合规表述，请确认后再发送。");
      },
      onEdit: () => {
        dialog.close();
        how.element.focus();
      },
      onSendAnyway: async (reason) => {
        if (draft.readText(how.element).trim() !== text) {
          // Edited while the dialog was open: what would go out was never checked.
          dialog.close();
          check(draft.readText(how.element).trim(), how);
          return null;
        }
        if (!answer.flag_ids.length) return "服务没有返回标记编号，无法记录原因";
        const reported = await ask("check.override", { flag_ids: answer.flag_ids, reason }, 10000);
        if (!reported || reported.ok !== true) {
          return `原因未能提交：${reported && reported.error ? reported.error.message : "未知错误"}`;
        }
        dialog.close();
        send(how, text);
        return null;
      },
    });
  }

  function unreachable(answer, text, how) {
    const mode = answer.fail_mode || config.fail_mode;
    const message = answer.error ? answer.error.message : "未知错误";
    if (mode === "open") {
      send(how, text);
      dialog.showNote(`消息未经检查即发送：${message}`, { kind: "warn", autoHideMs: 10000 });
      return;
    }
    dialog.showUnreachable({
      message,
      mode,
      onRetry: () => {
        dialog.close();
        check(text, how);
      },
      onSendAnyway: () => {
        dialog.close();
        send(how, text);
      },
      onCancel: () => {
        dialog.close();
        if (how.element) how.element.focus();
      },
    });
  }

  async function check(text, how) {
    if (checking) return;
    checking = true;
    const slow = setTimeout(() => dialog.showNote("正在进行合规检查…", { autoHideMs: 0 }), 400);
    let answer;
    try {
      answer = await ask("check.scan", { text }, (config.timeout_ms || 4000) + 2000);
      if (!validScan(answer)) answer = { ok: false, error: { kind: "internal", message: "扩展后台的回答无效" } };
    } finally {
      clearTimeout(slow);
      checking = false;
    }
    if (!answer.ok) return unreachable(answer, text, how);
    if (answer.action === "send") {
      dialog.close();
      return send(how, text);
    }
    if (answer.action === "warn") {
      send(how, text);
      return dialog.showWarn(answer);
    }
    return hold(answer, text, how);
  }

  function intercept(event) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }

  // -- where sending starts -------------------------------------------------------------

  function onFocus(event) {
    const root = draft.editableRoot(event.target);
    if (root) lastFocused = root;
  }

  function onKeyDown(event) {
    if (!config || !alive() || event.key !== "Enter") return;
    if (event.shiftKey || event.altKey || event.isComposing || event.keyCode === 229) return; // newline / IME
    if (dialog.isOurs(event)) return;
    const element = draft.editableRoot(event.target);
    if (!element) return;
    const text = draft.readText(element).trim();
    if (!text || passes(text)) return;
    intercept(event);
    swallowEnterUp = true;
    check(text, { kind: "key", element, ctrlKey: event.ctrlKey, metaKey: event.metaKey });
  }

  function onKeyUp(event) {
    if (swallowEnterUp && event.key === "Enter" && event.isTrusted) {
      swallowEnterUp = false;
      intercept(event); // some pages send on keyup
    }
  }

  function onClick(event) {
    if (!config || !alive() || dialog.isOurs(event) || !event.isTrusted) return;
    const button = draft.sendButtonFor(event.target, config.selector);
    if (!button) return;
    const element = draft.draftNear(button, lastFocused);
    const text = element ? draft.readText(element).trim() : "";
    if (!text || passes(text)) return;
    intercept(event);
    check(text, { kind: "click", button, element });
  }

  function onSubmit(event) {
    if (!config || !alive()) return;
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const element =
      lastFocused && form.contains(lastFocused) ? lastFocused : draft.editableRoot(form.querySelector("textarea, input[type=text]"));
    const text = element ? draft.readText(element).trim() : "";
    if (!text || passes(text)) return;
    intercept(event);
    check(text, { kind: "submit", form, element });
  }

  window.addEventListener("focusin", onFocus, true);
  window.addEventListener("keydown", onKeyDown, true);
  window.addEventListener("keyup", onKeyUp, true);
  window.addEventListener("click", onClick, true);
  window.addEventListener("submit", onSubmit, true);

  ask("check.config", {}, 5000).then((answer) => {
    config = answer && answer.ok && validConfig(answer.config) ? answer.config : null;
    if (config) document.documentElement.dataset.copilotCheck = "on"; // visible to tests and devtools
  });
})();
