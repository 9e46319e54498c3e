// The live view of one call: its events socket, the state built from the events, and the
// renders of each part (batched, so a fast replay does not redraw per event).

import { apiFromSettings, describeError } from "../lib/api.js";
import { applyEvent, createCallState } from "../lib/call-state.js";
import { $, clear, h } from "../lib/dom.js";
import { EventsSocket } from "../lib/events-socket.js";
import { CALL_STATUS, label } from "../lib/labels.js";
import { allowStop, callTimeS, createChecklist, renderChecklist, tick } from "./checklist.js";
import { renderFlags } from "./flags.js";
import { ScorecardCard } from "./scorecard.js";
import { insightCards } from "./insights.js";
import { renderSummary } from "./summary.js";
import { copyText, renderSuggestions } from "./suggestions.js";
import { renderTranscript } from "./transcript.js";

const CONNECTION = {
  idle: ["未连接", "idle"],
  connecting: ["连接中…", "busy"],
  open: ["已连接", "ok"],
  reconnecting: ["重连中…", "busy"],
  ended: ["通话已结束", "idle"],
  failed: ["连接失败", "error"],
  stopped: ["未连接", "idle"],
};

const CLOSE_REASONS = {
  1001: "服务正在重启",
  1006: "网络连接中断",
  1012: "服务正在重启",
  4400: "请求无效",
  4401: "连接令牌无效或已过期",
  4404: "找不到该通话（或无权查看）",
  4408: "接收过慢，正在追上进度",
};

export class LiveView {
  constructor() {
    this.badge = $("#connection");
    this.detail = $("#connection-detail");
    this.parts = {
      transcript: $("#transcript"),
      insights: $("#insights"),
      suggestions: $("#suggestions"),
      flags: $("#flags"),
      checklist: $("#checklist"),
      summary: $("#live-summary"),
      scorecard: $("#scorecard"),
      errors: $("#live-errors"),
      status: $("#call-status"),
    };
    this.socket = null;
    this.state = null;
    this.feedback = new Map();
    this.dirty = new Set();
    this.flushTimer = null;
    this.showConnection({ state: "idle" });
    globalThis.addEventListener("online", () => this.socket && this.socket.wake());
  }

  get callId() {
    return this.state ? this.state.callId : null;
  }

  attach(callId) {
    if (this.socket) this.socket.stop();
    this.state = createCallState(callId);
    this.checklist = createChecklist();
    this.loadChecklist(this.checklist);
    this.feedback = new Map();
    this.socket = new EventsSocket({
      getUrl: async (after) => {
        const api = await apiFromSettings();
        const { token } = await api.socketToken(callId);
        return api.socketUrl(callId, "events", { token, after });
      },
      onEvent: (event) => this.apply(event),
      onState: (state) => this.showConnection(state),
      onDrop: (why) => console.warn("dropped event:", why),
    });
    this.socket.start(0); // a newly opened panel replays the call from its first event
    chrome.storage.session.set({ viewing_call: callId });
    this.markAll();
  }

  detach() {
    if (this.socket) this.socket.stop();
    this.socket = null;
  }

  apply(event) {
    if (event.type === "scorecard.item") {
      if (tick(this.checklist, event)) this.dirty.add("checklist");
    }
    for (const part of applyEvent(this.state, event)) this.dirty.add(part);
    // The reminder point is call time: each final moves it on.
    if (event.type === "transcript.final" || event.type === "call.status") this.dirty.add("checklist");
    if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), 60);
  }

  markAll() {
    for (const part of ["transcript", "insights", "suggestions", "flags", "checklist", "summary", "errors", "status"]) {
      this.dirty.add(part);
    }
    this.flush();
  }

  flush() {
    this.flushTimer = null;
    const parts = [...this.dirty];
    this.dirty.clear();
    for (const part of parts) this.render(part);
  }

  render(part) {
    const state = this.state;
    const el = this.parts[part];
    if (!state || !el) return;
    if (part === "transcript") renderTranscript(el, state);
    if (part === "insights") {
      clear(el).append(
        h("h2", { text: "客户洞察" }),
        h("div", { class: "insight-grid" }, insightCards(state.insights)),
      );
    }
    if (part === "suggestions") {
      renderSuggestions(el, state.suggestionGroups, this.feedback, {
        onCopy: (item, button) => this.copy(item, button),
        onFeedback: (item, action) => this.sendFeedback(item, action),
      });
    }
    if (part === "flags") renderFlags(el, state.flags);
    if (part === "checklist") {
      const live = !state.status || state.status === "live";
      renderChecklist(el, this.checklist, { callS: callTimeS(state.finals), live });
    }
    if (part === "status") {
      const lag = typeof state.asrLagS === "number" && state.status === "live" ? ` · 识别延迟 ${state.asrLagS.toFixed(1)} 秒` : "";
      el.textContent = state.status ? `通话 ${state.callId} · ${label(CALL_STATUS, state.status)}${lag}` : `通话 ${state.callId}`;
    }
    if (part === "errors") {
      clear(el);
      for (const error of state.errors) {
        el.append(h("p", { class: `banner ${error.fatal ? "error" : "warn"}`, text: `${error.fatal ? "通话出错" : "提示"}：${error.message}` }));
      }
    }
    if (part === "summary") {
      if (state.summary) this.renderSummary(el, state);
      else clear(el); // another call was shown before
      // Scored when the summary is stored: the rep's card, with a dispute per item.
      if (state.summary) this.renderScorecard(state);
      else if (this.parts.scorecard) clear(this.parts.scorecard);
    }
  }

  // The org's items for this call; ticks that arrived meanwhile stay (same object).
  async loadChecklist(checklist) {
    try {
      const api = await apiFromSettings();
      const answer = await api.scorecardItems();
      const fresh = createChecklist(answer.items || [], answer.remind_after_s);
      checklist.items = fresh.items;
      checklist.remindAfterS = fresh.remindAfterS;
    } catch (error) {
      console.warn("scorecard items not loaded:", describeError(error));
    }
    if (this.checklist === checklist) this.render("checklist");
  }

  // 「停止录音」 pressed: false (and the reminder shown) the first time must-say items are unsaid.
  confirmStop() {
    if (!this.checklist || allowStop(this.checklist)) return true;
    this.render("checklist");
    return false;
  }

  async renderSummary(el, state) {
    try {
      const api = await apiFromSettings();
      const call = await api.getCall(state.callId).catch(() => null);
      if (this.state !== state) return; // the rep switched calls meanwhile
      renderSummary(el, state.summary, { api, callId: state.callId, call });
    } catch (error) {
      clear(el).append(h("p", { class: "banner error", text: describeError(error) }));
    }
  }

  async renderScorecard(state) {
    const el = this.parts.scorecard;
    if (!el) return;
    try {
      const api = await apiFromSettings();
      if (this.state !== state) return;
      await new ScorecardCard(el, { api, callId: state.callId }).load();
    } catch (error) {
      clear(el).append(h("p", { class: "banner error", text: describeError(error) }));
    }
  }

  async copy(item, button) {
    const ok = await copyText(item.text);
    button.textContent = ok ? "已复制" : "复制失败";
    setTimeout(() => {
      if (button.isConnected) button.textContent = "复制";
    }, 1500);
  }

  async sendFeedback(item, action) {
    this.feedback.set(item.id, { state: "sending" });
    this.render("suggestions");
    try {
      const api = await apiFromSettings();
      await api.feedback(item.id, action, this.callId);
      this.feedback.set(item.id, { state: action });
    } catch (error) {
      this.feedback.set(item.id, { state: "error", error: `反馈未送达：${describeError(error)}` });
    }
    this.render("suggestions");
  }

  showConnection(info) {
    const [text, kind] = CONNECTION[info.state] || CONNECTION.idle;
    let shown = text;
    if (info.state === "reconnecting" && info.attempt) shown = `重连中（第 ${info.attempt} 次）`;
    this.badge.textContent = shown;
    this.badge.className = `badge ${kind}`;
    this.badge.dataset.state = info.state;
    const detail = [];
    const reason = CLOSE_REASONS[info.code] || info.reason;
    if (reason && (info.state === "reconnecting" || info.state === "failed")) detail.push(reason);
    if (info.retryInMs) detail.push(`${Math.ceil(info.retryInMs / 1000)} 秒后重试`);
    this.detail.textContent = detail.join(" · ");
  }
}
