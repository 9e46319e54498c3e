// Side panel entry: tabs, settings check, and wiring of the live view, the capture controls
// and the recording analysis.

import { apiFromSettings } from "../lib/api.js";
import { $ } from "../lib/dom.js";
import { isConfigured, loadSettings } from "../lib/settings.js";
import { setupCapture } from "./capture.js";
import { setupFollowups } from "./followups.js";
import { IdentityPicker } from "./identity.js";
import { LiveView } from "./live.js";
import { setupRecording } from "./recording.js";

const live = new LiveView();
// 「关联 CRM」 on the live call: picked before 「开始录音」, it is saved once the call exists.
const identity = new IdentityPicker({ api: () => apiFromSettings() });
$("#identity-live").append(identity.node);
const followups = setupFollowups($("#tab-followups"));

function showTab(name) {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  $("#tab-live").hidden = name !== "live";
  $("#tab-recording").hidden = name !== "recording";
  $("#tab-followups").hidden = name !== "followups";
  if (name === "followups") followups.load();
}

async function checkSettings() {
  const notice = $("#notice");
  const settings = await loadSettings();
  notice.hidden = isConfigured(settings);
  return settings;
}

function attach(callId) {
  if (callId && callId !== live.callId) {
    live.attach(callId);
    identity.setCall(callId);
  }
}

for (const button of document.querySelectorAll(".tabs button")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}
for (const link of document.querySelectorAll(".open-options")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
  });
}
$("#attach-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const callId = $("#attach-call-id").value.trim();
  if (/^[\w.:-]{1,64}$/.test(callId)) attach(callId);
  else $("#attach-error").textContent = "通话 ID 只能包含字母、数字和 - _ . :";
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local") checkSettings();
});

setupCapture({ onStreaming: attach, beforeStop: () => live.confirmStop() });
setupRecording();
showTab("live");
checkSettings();

// Reopened panel: show the call it was showing (replayed from its first event).
chrome.storage.session.get(["viewing_call", "capture"]).then(({ viewing_call: viewing, capture }) => {
  const callId = capture && ["starting", "streaming", "reconnecting"].includes(capture.status) ? capture.call_id : viewing;
  if (callId) attach(callId);
});
