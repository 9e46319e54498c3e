// Registers the message-check content script for the configured chat sites whose host
// permission the rep granted (options page). Nothing is injected anywhere else.

import { loadSettings } from "./settings.js";
import { originsFor } from "./sites.js";

export const SCRIPT_ID = "message-check";
export const SCRIPT_FILES = ["content/draft.js", "content/dialog.js", "content/check.js"];

export async function grantedPatterns(sites) {
  const granted = [];
  for (const site of sites) {
    // A site the rep listed but whose permission was refused (or later revoked) is skipped.
    if (await chrome.permissions.contains({ origins: originsFor([site]) })) granted.push(site.pattern);
  }
  return [...new Set(granted)];
}

export async function syncContentScripts() {
  const { sites } = await loadSettings();
  const matches = await grantedPatterns(sites);
  const existing = await chrome.scripting.getRegisteredContentScripts({ ids: [SCRIPT_ID] });
  if (matches.length === 0) {
    if (existing.length) await chrome.scripting.unregisterContentScripts({ ids: [SCRIPT_ID] });
    return [];
  }
  const script = {
    id: SCRIPT_ID,
    matches,
    js: SCRIPT_FILES,
    runAt: "document_idle",
    allFrames: false,
    persistAcrossSessions: true,
  };
  if (existing.length) await chrome.scripting.updateContentScripts([script]);
  else await chrome.scripting.registerContentScripts([script]);
  return matches;
}
