// Message check, part 1 of 3 (classic content scripts share one isolated world):
// finding the draft on a chat page, reading and replacing its text, sending it again.
"use strict";

(() => {
  const ns = (globalThis.__copilotCheck = globalThis.__copilotCheck || {});
  if (ns.draft) return; // injected twice (registration updated while the page was open)

  const TEXT_INPUTS = new Set(["text", "search", ""]);
  const SEND_WORDS = /^(发送|发 送|发送消息|send|send message)$/i;

  function isEditable(element) {
    if (!element || element.nodeType !== 1) return false;
    if (element.tagName === "TEXTAREA") return !element.readOnly && !element.disabled;
    if (element.tagName === "INPUT") {
      return TEXT_INPUTS.has((element.getAttribute("type") || "").toLowerCase()) && !element.readOnly && !element.disabled;
    }
    return element.isContentEditable === true;
  }

  // The editable root: for contenteditable, the outermost editable ancestor.
  function editableRoot(element) {
    if (!element) return null;
    if (element.tagName === "TEXTAREA" || element.tagName === "INPUT") return isEditable(element) ? element : null;
    let node = element.nodeType === 1 ? element : element.parentElement;
    if (!node || !node.isContentEditable) return null;
    while (node.parentElement && node.parentElement.isContentEditable) node = node.parentElement;
    return node;
  }

  function readText(element) {
    if (!element) return "";
    if (element.tagName === "TEXTAREA" || element.tagName === "INPUT") return element.value;
    return element.innerText.replace(/\u00a0/g, " ").replace(/\n$/, "");
  }

  // Replaces the draft so that the page's own framework notices (input events), not just
  // the DOM: the native value setter for fields, insertText for contenteditable.
  function writeText(element, text) {
    element.focus();
    if (element.tagName === "TEXTAREA" || element.tagName === "INPUT") {
      const proto = element.tagName === "TEXTAREA" ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, "value").set.call(element, text);
      element.dispatchEvent(new Event("input", { bubbles: true }));
      element.dispatchEvent(new Event("change", { bubbles: true }));
      return;
    }
    const selection = window.getSelection();
    const range = document.createRange();
    range.selectNodeContents(element);
    selection.removeAllRanges();
    selection.addRange(range);
    if (!document.execCommand("insertText", false, text)) {
      element.textContent = text;
      element.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertText", data: text }));
    }
  }

  function labels(element) {
    return [element.innerText, element.value, element.getAttribute("aria-label"), element.getAttribute("title")]
      .filter(Boolean)
      .map((text) => String(text).trim().replace(/\s+/g, " "));
  }

  // The send button a click landed on: one matching the site's configured selector, or a
  // button whose text, aria-label or title says 发送 / Send.
  function sendButtonFor(target, selector) {
    if (!(target instanceof Element)) return null;
    if (selector) {
      try {
        const configured = target.closest(selector);
        if (configured) return configured;
      } catch {
        // an invalid selector in the options: the built-in rule still applies
      }
    }
    const button = target.closest('button, [role="button"], input[type="submit"], input[type="button"]');
    if (!button) return null;
    return labels(button).some((text) => SEND_WORDS.test(text)) ? button : null;
  }

  // The draft a send button sends: the last focused editable, else one near the button.
  function draftNear(button, lastFocused) {
    if (lastFocused && lastFocused.isConnected && isEditable(lastFocused)) return lastFocused;
    for (let scope = button.parentElement; scope; scope = scope.parentElement) {
      const found = scope.querySelector('textarea, [contenteditable=""], [contenteditable="true"], input[type="text"]');
      if (found && isEditable(found)) return editableRoot(found);
    }
    return null;
  }

  // Sends again after the check passed, the way the rep first tried.
  function resend(how) {
    if (how.kind === "click") {
      how.button.click();
    } else if (how.kind === "submit") {
      if (how.form.requestSubmit) how.form.requestSubmit();
      else how.form.submit();
    } else {
      const init = { key: "Enter", code: "Enter", keyCode: 13, which: 13, bubbles: true, cancelable: true, composed: true, ctrlKey: how.ctrlKey, metaKey: how.metaKey };
      how.element.dispatchEvent(new KeyboardEvent("keydown", init));
      how.element.dispatchEvent(new KeyboardEvent("keypress", init));
      how.element.dispatchEvent(new KeyboardEvent("keyup", init));
    }
  }

  ns.draft = { isEditable, editableRoot, readText, writeText, sendButtonFor, draftNear, resend };
})();
