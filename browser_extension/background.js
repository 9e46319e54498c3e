// Service worker: it only wires the parts together. It opens the side panel, starts and
// stops capture in the offscreen document, answers the content script's checks (the API key
// never leaves trusted contexts) and keeps the content-script registration in line with the
// options. State the panel shows lives in chrome.storage.session.

import { apiFromSettings, describeError, socketUrl } from "./lib/api.js";
import { syncContentScripts } from "./lib/content-scripts.js";
import { COMPLIANCE, SEVERITY, label } from "./lib/labels.js";
import { composeRewrite, decide } from "./lib/message-check.js";
import { closeOffscreen, ensureOffscreen, hasOffscreen } from "./lib/offscreen-doc.js";
import { checkMessage, message, senderKind } from "./lib/protocol.js";
import { isConfigured, loadSettings } from "./lib/settings.js";
import { siteFor } from "./lib/sites.js";

const ORIGIN = chrome.runtime.getURL("");
const ACTIVE = ["starting", "streaming", "reconnecting", "stopping"];

// -- side panel ---------------------------------------------------------------------------

// Open the panel from the click itself (not openPanelOnActionClick): the click is what lets
// tabCapture.getMediaStreamId capture this tab later. Nothing may be awaited before open().
chrome.action.onClicked.addListener((tab) => {
  chrome.sidePanel.open({ tabId: tab.id }).catch((error) => console.warn("sidePanel.open:", error));
  chrome.storage.session.set({ target_tab: { id: tab.id, window_id: tab.windowId, title: tab.title || "" } });
});

chrome.runtime.onInstalled.addListener(() => {
  chrome.sidePanel.setPanelBehavior({ openPanelOnActionClick: false }).catch(() => {});
  syncContentScripts().catch((error) => console.warn("content scripts:", error));
});
chrome.runtime.onStartup.addListener(() => {
  syncContentScripts().catch((error) => console.warn("content scripts:", error));
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && changes.sites) {
    syncContentScripts().catch((error) => console.warn("content scripts:", error));
  }
});
chrome.permissions.onAdded.addListener(() => syncContentScripts().catch(() => {}));
chrome.permissions.onRemoved.addListener(() => syncContentScripts().catch(() => {}));

// Settings and the API key are for extension pages only, never content scripts.
chrome.storage.local.setAccessLevel?.({ accessLevel: "TRUSTED_CONTEXTS" }).catch(() => {});

// -- capture ------------------------------------------------------------------------------

async function setCapture(capture) {
  await chrome.storage.session.set({ capture: { ...capture, updated_at: Date.now() } });
}

async function startCapture({ call_id, customer_name, hotwords }) {
  const settings = await loadSettings();
  if (!isConfigured(settings)) return failure("config", "尚未配置服务地址和 API Key，请在设置页填写");
  const { capture } = await chrome.storage.session.get("capture");
  if (capture && ACTIVE.includes(capture.status) && (await hasOffscreen())) {
    return failure("busy", "已有录音在进行中，请先停止");
  }
  const { target_tab: tab } = await chrome.storage.session.get("target_tab");
  let streamId;
  let tabProblem = "";
  if (tab && Number.isInteger(tab.id)) {
    try {
      streamId = await chrome.tabCapture.getMediaStreamId({ targetTabId: tab.id });
    } catch (error) {
      tabProblem = `无法录制标签页声音（${error.message}）。请在通话页面点击扩展图标打开侧边栏后重试。`;
    }
  } else {
    tabProblem = "没有可录制的标签页：请在通话页面点击扩展图标打开侧边栏。";
  }
  await setCapture({ call_id, status: "starting", sources: { mic: false, tab: false }, seconds: 0, tab_problem: tabProblem });
  await ensureOffscreen();
  const data = {
    call_id,
    ws_url: socketUrl(settings.service_url, call_id, "audio"),
    mic: true,
    customer_name,
    hotwords,
  };
  if (streamId) data.stream_id = streamId;
  const answer = await chrome.runtime.sendMessage(message("offscreen.start", data));
  if (!answer || !answer.ok) {
    return answer && answer.error ? { ok: false, error: answer.error } : failure("capture", "录音文档没有响应");
  }
  return { ok: true, tab: Boolean(streamId), warning: tabProblem };
}

async function stopCapture() {
  if (await hasOffscreen()) {
    await chrome.runtime.sendMessage(message("offscreen.stop", {}));
  } else {
    const { capture } = await chrome.storage.session.get("capture");
    if (capture) await setCapture({ ...capture, status: "stopped" });
  }
  return { ok: true };
}

async function captureStatus(data) {
  const { capture } = await chrome.storage.session.get("capture");
  // A stray status of an older call must not overwrite the current one.
  if (capture && capture.call_id !== data.call_id && ACTIVE.includes(capture.status)) return { ok: true };
  // The tab-capture problem found at start stays on show for the whole call.
  const tabProblem = capture && capture.call_id === data.call_id ? capture.tab_problem : "";
  await setCapture(tabProblem ? { ...data, tab_problem: tabProblem } : data);
  if (data.status === "stopped" || data.status === "error") {
    // The document's work is done; closing it releases the microphone and the tab stream.
    setTimeout(() => closeOffscreen().catch(() => {}), 500);
  }
  return { ok: true };
}

async function audioToken({ call_id }) {
  const api = await apiFromSettings();
  const answer = await api.socketToken(call_id);
  return { ok: true, token: answer.token };
}

// -- message check (content script) ---------------------------------------------------------

async function checkConfig(_data, sender) {
  const settings = await loadSettings();
  const site = siteFor(settings.sites, sender.url || "");
  if (!site) return { ok: true, config: null };
  return {
    ok: true,
    config: { selector: site.selector || "", fail_mode: settings.fail_mode, timeout_ms: settings.scan_timeout_ms },
  };
}

async function scanDraft({ text }, sender) {
  const settings = await loadSettings();
  let result;
  try {
    const api = await apiFromSettings();
    const host = new URL(sender.url).host;
    result = await api.scan(text, { channel: `web:${host}`.slice(0, 64), timeout: settings.scan_timeout_ms });
  } catch (error) {
    return { ok: false, fail_mode: settings.fail_mode, error: { kind: error.kind || "internal", message: describeError(error) } };
  }
  const flags = (result.flags || []).map((flag) => ({
    category: flag.category,
    category_label: label(COMPLIANCE, flag.category),
    severity: flag.severity,
    severity_label: label(SEVERITY, flag.severity),
    match: flag.match,
    suggestion: flag.suggestion,
  }));
  return {
    ok: true,
    action: decide(result),
    flags,
    flag_ids: result.flag_ids || [],
    rewrite: typeof result.rewrite === "string" ? result.rewrite : composeRewrite(text, result.flags),
  };
}

async function reportOverride({ flag_ids, reason }) {
  const api = await apiFromSettings();
  await api.override(flag_ids, reason);
  return { ok: true };
}

// -- routing --------------------------------------------------------------------------------

const HANDLERS = {
  "capture.start": startCapture,
  "capture.stop": stopCapture,
  "offscreen.status": captureStatus,
  "offscreen.token": audioToken,
  "check.config": checkConfig,
  "check.scan": scanDraft,
  "check.override": reportOverride,
};

function failure(kind, text) {
  return { ok: false, error: { kind, message: text } };
}

chrome.runtime.onMessage.addListener((raw, sender, sendResponse) => {
  const from = senderKind(sender, chrome.runtime.id, ORIGIN);
  if (!from) return false;
  const checked = checkMessage(raw, { target: "background", from });
  if (checked === null) return false; // for another part
  if (!checked.ok) {
    console.warn("dropped message:", checked.error);
    return false;
  }
  const { type, data } = checked.message;
  Promise.resolve()
    .then(() => HANDLERS[type](data, sender))
    .then(sendResponse, (error) => sendResponse(failure(error.kind || "internal", describeError(error))));
  return true; // answered asynchronously
});
