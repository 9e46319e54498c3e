// The extension's settings, kept in chrome.storage.local by the options page and read by
// the side panel and the service worker. Content scripts never read them: the API key stays
// in trusted extension contexts.

export const FAIL_MODES = ["warn", "open", "closed"];

export const DEFAULTS = Object.freeze({
  service_url: "http://127.0.0.1:8765",
  api_key: "",
  sites: [], // [{pattern, selector}], see lib/sites.js
  fail_mode: "warn", // service unreachable: warn and let the rep decide | send | hold
  scan_timeout_ms: 4000,
});

export function normalizeServiceUrl(text) {
  let url;
  try {
    url = new URL(String(text || "").trim());
  } catch {
    return { ok: false, error: "服务地址无效，例如 http://127.0.0.1:8765" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, error: "服务地址须以 http:// 或 https:// 开头" };
  }
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    // Allowed (an office LAN), but the key travels in clear text: say so.
    return { ok: true, url: stripSlash(url), warning: "非本机地址建议使用 https，否则 API Key 以明文传输" };
  }
  return { ok: true, url: stripSlash(url) };
}

function stripSlash(url) {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function isLoopback(host) {
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

export function isApiKey(text) {
  return /^cpk_[A-Za-z0-9_-]{4,200}$/.test(String(text || "").trim());
}

export function withDefaults(stored) {
  const settings = { ...DEFAULTS, ...(stored || {}) };
  if (!FAIL_MODES.includes(settings.fail_mode)) settings.fail_mode = DEFAULTS.fail_mode;
  if (!Array.isArray(settings.sites)) settings.sites = [];
  return settings;
}

export async function loadSettings() {
  const stored = await chrome.storage.local.get(Object.keys(DEFAULTS));
  return withDefaults(stored);
}

export async function saveSettings(changes) {
  const allowed = Object.fromEntries(
    Object.entries(changes).filter(([key]) => Object.hasOwn(DEFAULTS, key)),
  );
  await chrome.storage.local.set(allowed);
}

export function isConfigured(settings) {
  return Boolean(settings.service_url && settings.api_key);
}
