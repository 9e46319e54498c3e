// Options page: service URL and API key, the chat sites to check (host permission asked
// for at save time, with the user's click), what to do when the service is unreachable,
// and a one-time microphone grant for the offscreen capture.

import { createApi, describeError } from "../lib/api.js";
import { syncContentScripts } from "../lib/content-scripts.js";
import { $, clear, h } from "../lib/dom.js";
import { isApiKey, loadSettings, normalizeServiceUrl, saveSettings } from "../lib/settings.js";
import { formatSiteList, originsFor, parseSiteList } from "../lib/sites.js";

const form = $("#settings-form");
const errors = $("#errors");
const saved = $("#save-result");

function failMode() {
  const checked = form.querySelector('input[name="fail-mode"]:checked');
  return checked ? checked.value : "warn";
}

async function fill() {
  const settings = await loadSettings();
  $("#service-url").value = settings.service_url;
  $("#api-key").value = settings.api_key;
  $("#sites").value = formatSiteList(settings.sites);
  const radio = form.querySelector(`input[name="fail-mode"][value="${settings.fail_mode}"]`);
  if (radio) radio.checked = true;
  await showSiteStatus(settings.sites);
}

async function showSiteStatus(sites) {
  const list = clear($("#site-status"));
  for (const site of sites) {
    const granted = await chrome.permissions.contains({ origins: originsFor([site]) });
    list.append(
      h("li", { class: granted ? "ok" : "missing", text: `${granted ? "✓ 已启用" : "✗ 未授权"}：${site.pattern}${site.selector ? `（发送按钮：${site.selector}）` : ""}` }),
    );
  }
}

// Reads and checks the form; {ok, settings, problems, warnings}.
function readForm() {
  const problems = [];
  const warnings = [];
  const url = normalizeServiceUrl($("#service-url").value);
  if (!url.ok) problems.push(url.error);
  else if (url.warning) warnings.push(url.warning);
  const key = $("#api-key").value.trim();
  if (key && !isApiKey(key)) problems.push("API Key 格式应为 cpk_…");
  const { sites, errors: siteErrors } = parseSiteList($("#sites").value);
  problems.push(...siteErrors);
  return {
    ok: problems.length === 0,
    problems,
    warnings,
    settings: { service_url: url.ok ? url.url : "", api_key: key, sites, fail_mode: failMode() },
  };
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clear(errors);
  saved.textContent = "";
  const { ok, problems, warnings, settings } = readForm();
  if (!ok) {
    for (const problem of problems) errors.append(h("li", { text: problem }));
    return;
  }
  // Ask first, while the click still counts as a user gesture.
  const origins = originsFor(settings.sites);
  let granted = true;
  if (origins.length) {
    try {
      granted = await chrome.permissions.request({ origins });
    } catch (error) {
      granted = false;
      errors.append(h("li", { text: `无法请求网站权限：${error.message}` }));
    }
  }
  const before = await loadSettings();
  await saveSettings(settings);
  // Give back access to sites no longer listed.
  const stale = originsFor(before.sites).filter((origin) => !origins.includes(origin));
  if (stale.length) await chrome.permissions.remove({ origins: stale }).catch(() => {});
  await syncContentScripts().catch((error) => errors.append(h("li", { text: `注册检查脚本失败：${error.message}` })));
  await showSiteStatus(settings.sites);
  saved.textContent = granted ? "已保存" : "已保存，但未获得网站权限：这些网站上的消息不会被检查";
  for (const warning of warnings) errors.append(h("li", { class: "muted", text: warning }));
});

$("#test-connection").addEventListener("click", async () => {
  const result = $("#connection-result");
  const { settings } = readForm();
  if (!settings.service_url || !settings.api_key) {
    result.textContent = "请先填写服务地址和 API Key";
    return;
  }
  result.textContent = "连接中…";
  try {
    await createApi({ baseUrl: settings.service_url, apiKey: settings.api_key, timeoutMs: 5000 }).listCalls(1);
    result.textContent = "✓ 连接正常";
  } catch (error) {
    result.textContent = `✗ ${describeError(error)}`;
  }
});

$("#grant-mic").addEventListener("click", async () => {
  const result = $("#mic-result");
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    stream.getTracks().forEach((track) => track.stop());
    result.textContent = "✓ 麦克风已授权";
  } catch (error) {
    result.textContent = `✗ 未授权（${error.name}）：请在地址栏左侧的网站设置中允许麦克风`;
  }
});

fill();
