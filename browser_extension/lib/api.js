// HTTP client for the service (docs/service.md): bearer API key, JSON in and out, errors
// as ApiError with a `kind` the UI can explain in Chinese.

import { isConfigured, loadSettings } from "./settings.js";

export class ApiError extends Error {
  // kind: config | unreachable | timeout | auth | forbidden | not_found | not_ready |
  //       invalid | server
  constructor(kind, message, { status = 0, code = "" } = {}) {
    super(message);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

const KIND_BY_STATUS = { 401: "auth", 403: "forbidden", 404: "not_found", 409: "not_ready" };

function kindOf(status) {
  if (KIND_BY_STATUS[status]) return KIND_BY_STATUS[status];
  return status >= 500 ? "server" : "invalid";
}

export function createApi({ baseUrl, apiKey, fetchImpl = globalThis.fetch.bind(globalThis), timeoutMs = 15000 }) {
  const base = String(baseUrl).replace(/\/+$/, "");

  async function request(method, path, { json, form, timeout = timeoutMs } = {}) {
    const headers = { Authorization: `Bearer ${apiKey}` };
    let body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form; // the browser sets the multipart boundary
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    let response;
    try {
      response = await fetchImpl(`${base}${path}`, { method, headers, body, signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) throw new ApiError("timeout", `服务 ${timeout / 1000} 秒内没有响应`);
      throw new ApiError("unreachable", `无法连接服务 ${base}（${error.message || error}）`);
    } finally {
      clearTimeout(timer);
    }
    if (response.status === 204) return null;
    let payload = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    if (!response.ok) {
      const detail = payload && payload.error ? payload.error : {};
      const message = detail.message || `HTTP ${response.status}`;
      throw new ApiError(kindOf(response.status), message, { status: response.status, code: detail.code || "" });
    }
    return payload;
  }

  return {
    baseUrl: base,
    socketToken: (callId) => request("POST", "/v1/auth/socket-token", { json: { call_id: callId } }),
    scan: (text, { channel, timeout } = {}) =>
      request("POST", "/v1/compliance/scan", { json: channel ? { text, channel } : { text }, timeout }),
    override: (flagIds, reason) =>
      request("POST", "/v1/compliance/override", { json: { flag_ids: flagIds, reason } }),
    feedback: (entryId, action, callId) =>
      request("POST", "/v1/suggestions/feedback", {
        json: callId ? { entry_id: entryId, action, call_id: callId } : { entry_id: entryId, action },
      }),
    uploadRecording: (file) => {
      const form = new FormData();
      form.append("file", file, file.name || "recording");
      return request("POST", "/v1/calls", { form, timeout: 300000 });
    },
    listCalls: (limit = 1) => request("GET", `/v1/calls?limit=${limit}`),
    getCall: (callId) => request("GET", `/v1/calls/${encodeURIComponent(callId)}`),
    getSummary: (callId) => request("GET", `/v1/calls/${encodeURIComponent(callId)}/summary`),
    confirm: (callId) => request("POST", `/v1/calls/${encodeURIComponent(callId)}/confirm`),
    socketUrl: (callId, kind, params = {}) => socketUrl(base, callId, kind, params),
    // The rep's review before filing, the call's CRM identity, and follow-ups (issue 14).
    getReview: (callId) => request("GET", `/v1/calls/${encodeURIComponent(callId)}/review`),
    patchReview: (callId, name, change) =>
      request("PATCH", `/v1/calls/${encodeURIComponent(callId)}/review/${encodeURIComponent(name)}`, { json: change }),
    setCrm: (callId, identity) => request("PUT", `/v1/calls/${encodeURIComponent(callId)}/crm`, { json: identity }),
    searchAccounts: (query) => request("GET", `/v1/crm/accounts?q=${encodeURIComponent(query)}`),
    listFollowups: (state = "open") => request("GET", `/v1/followups?state=${encodeURIComponent(state)}`),
    setFollowupDone: (id, done) => request("PATCH", `/v1/followups/${encodeURIComponent(id)}`, { json: { done } }),
    // The org's scorecard checklist, ticked live in the panel (issue 15).
    scorecardItems: () => request("GET", "/v1/scorecard/items"),
    getScorecard: (callId) => request("GET", `/v1/calls/${encodeURIComponent(callId)}/scorecard`),
    disputeItem: (callId, key, reason) =>
      request("POST", `/v1/calls/${encodeURIComponent(callId)}/scorecard/${encodeURIComponent(key)}/dispute`, {
        json: { reason },
      }),
  };
}

export function socketUrl(base, callId, kind, params = {}) {
  const url = new URL(`${base}/v1/calls/${encodeURIComponent(callId)}/${kind}`);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.toString();
}

export async function apiFromSettings(options = {}) {
  const settings = await loadSettings();
  if (!isConfigured(settings)) {
    throw new ApiError("config", "尚未配置服务地址和 API Key，请在设置页填写");
  }
  return createApi({ baseUrl: settings.service_url, apiKey: settings.api_key, ...options });
}

// One line of Chinese for the rep.
export function describeError(error) {
  if (!(error instanceof ApiError)) return `出错了：${error && error.message ? error.message : error}`;
  switch (error.kind) {
    case "config":
    case "unreachable":
    case "timeout":
      return error.message;
    case "auth":
      return "API Key 无效或已停用，请在设置页检查";
    case "forbidden":
      return `没有权限：${error.message}`;
    case "not_found":
      return "找不到该通话（或无权查看）";
    case "not_ready":
      return `还没准备好：${error.message}`;
    default:
      return `服务返回错误：${error.message}`;
  }
}
