// The audio WebSocket of one call: JSON start header, then binary PCM frames, then stop.
// Frames produced while (re)connecting wait in a bounded buffer; a dropped connection is
// reopened with a fresh token and the same call id (the service resumes the call).

import { backoffDelay } from "../lib/events-socket.js";
import { checkAudioReply } from "../lib/protocol.js";

const FATAL_CLOSES = new Set([4400, 4404]); // bad header, not our call
const STOP_TIMEOUT_MS = 30000; // the service flushes the last speech and builds the summary

export class AudioSocket {
  constructor({
    wsUrl,
    header,
    getToken,
    onState = () => {},
    WebSocketImpl = globalThis.WebSocket,
    timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (id) => clearTimeout(id) },
    maxBufferedFrames = 300, // 30 s of 100 ms frames
  }) {
    Object.assign(this, { wsUrl, header, getToken, onState, WebSocketImpl, timers, maxBufferedFrames });
    this.socket = null;
    this.started = false;
    this.buffer = [];
    this.dropped = 0;
    this.attempt = 0;
    this.stopping = null; // {resolve} while waiting for "stopped"
    this.closedForGood = false;
    this.timer = null;
  }

  async open() {
    if (this.closedForGood) return;
    this.onState(this.attempt === 0 ? "starting" : "reconnecting", {});
    let token;
    try {
      token = await this.getToken();
    } catch (error) {
      return this.retry(error && error.message ? error.message : String(error));
    }
    if (this.closedForGood) return;
    const url = new URL(this.wsUrl);
    url.searchParams.set("token", token);
    const socket = new this.WebSocketImpl(url.toString());
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.started = false;
    socket.onopen = () => socket.send(JSON.stringify(this.header));
    socket.onmessage = (event) => this.receive(socket, event.data);
    socket.onerror = () => {};
    socket.onclose = (event) => this.closed(socket, event.code, event.reason || "");
  }

  receive(socket, data) {
    if (typeof data !== "string") return;
    let raw;
    try {
      raw = JSON.parse(data);
    } catch {
      return;
    }
    const checked = checkAudioReply(raw);
    if (!checked.ok) return; // unknown replies are ignored
    const reply = checked.reply;
    if (reply.type === "started") {
      this.started = true;
      this.attempt = 0;
      this.onState("streaming", { resumed: Boolean(reply.resumed) });
      this.flush();
    } else if (reply.type === "stopped") {
      this.finish("stopped", {});
      socket.close(1000);
    } else if (reply.type === "error") {
      // Warnings (a bad frame) keep the socket open; a rejection is followed by a close.
      this.onState("warning", { message: reply.message, code: reply.code });
    }
  }

  send(frame) {
    if (this.closedForGood || this.stopping) return;
    if (this.socket && this.started && this.socket.readyState === 1) {
      this.socket.send(frame);
      return;
    }
    this.buffer.push(frame);
    if (this.buffer.length > this.maxBufferedFrames) {
      this.buffer.shift(); // keep the newest audio; say how much was lost
      this.dropped += 1;
    }
  }

  flush() {
    while (this.buffer.length && this.socket && this.socket.readyState === 1) {
      this.socket.send(this.buffer.shift());
    }
  }

  // Ends the call: what is buffered goes out, then {"type":"stop"}; resolves when the
  // service confirms (or after a timeout).
  stop(finalFrames = []) {
    for (const frame of finalFrames) this.send(frame);
    return new Promise((resolve) => {
      this.stopping = { resolve };
      const timeout = this.timers.set(() => this.finish("stopped", { message: "服务未确认结束" }), STOP_TIMEOUT_MS);
      this.stopping.timeout = timeout;
      if (this.socket && this.started && this.socket.readyState === 1) {
        this.flush();
        this.socket.send(JSON.stringify({ type: "stop" }));
      } else {
        // Not connected: nothing more can be delivered; the service marks the call
        // interrupted and it can be ended from the panel.
        this.finish("stopped", { message: "连接已断开，未能通知服务结束通话" });
        if (this.socket) this.socket.close(1000);
      }
    });
  }

  finish(status, detail) {
    this.closedForGood = true;
    this.timers.clear(this.timer);
    if (this.stopping) {
      this.timers.clear(this.stopping.timeout);
      const { resolve } = this.stopping;
      this.stopping = null;
      resolve();
    }
    this.onState(status, detail);
  }

  closed(socket, code, reason) {
    if (socket !== this.socket) return;
    this.socket = null;
    this.started = false;
    if (this.closedForGood) return;
    if (this.stopping) return this.finish("stopped", { message: reason || "连接已关闭" });
    if (FATAL_CLOSES.has(code)) return this.finish("error", { message: reason || `连接被拒绝（${code}）`, code });
    this.retry(reason || `连接断开（${code}）`);
  }

  retry(reason) {
    this.attempt += 1;
    if (this.attempt > 12) return this.finish("error", { message: `多次重连失败：${reason}` });
    const delay = backoffDelay(this.attempt, { initialMs: 500, maxMs: 10000 });
    this.onState("reconnecting", { message: reason, retryInMs: delay });
    this.timer = this.timers.set(() => this.open(), delay);
  }
}
