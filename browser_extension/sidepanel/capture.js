// 「开始录音 / 停止」: the panel asks the service worker, which runs the offscreen document;
// the capture's state comes back through chrome.storage.session.

import { $ } from "../lib/dom.js";
import { clock } from "../lib/labels.js";
import { message } from "../lib/protocol.js";

const ACTIVE = ["starting", "streaming", "reconnecting", "stopping"];
const STATUS_TEXT = {
  starting: "正在启动录音…",
  streaming: "录音中",
  reconnecting: "连接中断，正在重连（音频已缓存）",
  stopping: "正在结束通话，生成总结…",
  stopped: "录音已结束",
  error: "录音出错",
};

export function newCallId() {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
  return `ext-${day}-${crypto.randomUUID().slice(0, 8)}`;
}

export function setupCapture({ onStreaming, beforeStop = () => true }) {
  const button = $("#capture-toggle");
  const line = $("#capture-status");
  const customer = $("#customer-name");
  let current = null;

  function show(capture) {
    current = capture || null;
    const active = Boolean(current && ACTIVE.includes(current.status));
    button.textContent = active ? "停止录音" : "开始录音";
    button.classList.toggle("danger", active);
    button.classList.toggle("primary", !active);
    button.disabled = Boolean(current && current.status === "stopping");
    customer.disabled = active;
    if (!current) {
      line.textContent = "";
      return;
    }
    const parts = [STATUS_TEXT[current.status] || current.status];
    if (active) {
      parts.push(`麦克风 ${current.sources.mic ? "✓" : "✗"}`, `标签页 ${current.sources.tab ? "✓" : "✗"}`);
      parts.push(clock(current.seconds));
    }
    line.textContent = parts.join(" · ");
    line.dataset.status = current.status;
    for (const note of [current.message, active ? current.tab_problem : ""]) {
      if (note) line.append(document.createElement("br"), note);
    }
    if (current.status === "streaming") onStreaming(current.call_id);
  }

  button.addEventListener("click", async () => {
    if (current && ACTIVE.includes(current.status)) {
      // Must-say checklist items still unsaid: remind first; the second press stops.
      if (!beforeStop()) return;
      button.disabled = true;
      await chrome.runtime.sendMessage(message("capture.stop", {}));
      return;
    }
    button.disabled = true;
    const callId = newCallId();
    const name = customer.value.trim().slice(0, 200);
    // The customer's name helps recognition spell it (a hotword for Whisper's prompt).
    const hotwords = name && name.length <= 50 ? [name] : [];
    const answer = await chrome.runtime
      .sendMessage(message("capture.start", { call_id: callId, customer_name: name, hotwords }))
      .catch((error) => ({ ok: false, error: { message: error.message } }));
    button.disabled = false;
    if (!answer || !answer.ok) {
      line.textContent = `无法开始录音：${answer && answer.error ? answer.error.message : "扩展后台没有响应"}`;
      line.dataset.status = "error";
    }
  });

  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "session" && changes.capture) show(changes.capture.newValue);
  });
  chrome.storage.session.get("capture").then(({ capture }) => show(capture));
}
