// The events WebSocket of one call, kept open: reconnects with back-off and resumes with
// ?after=<last seq>, so nothing persisted is missed and nothing is shown twice.
//
// States: connecting → open → (reconnecting → open)* → ended | failed | stopped.

import { checkEvent } from "./protocol.js";

// Close codes of the service (4000 + HTTP status).
const BAD_REQUEST = 4400;
const UNAUTHORIZED = 4401;
const NOT_FOUND = 4404;
const TOO_SLOW = 4408;

export function backoffDelay(attempt, { initialMs = 500, maxMs = 15000, random = Math.random } = {}) {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random() / 2)); // jitter, so panels do not reconnect in step
}

export class EventsSocket {
  // getUrl(after) → a ws:// URL with a fresh token (async; may throw ApiError).
  constructor({
    getUrl,
    onEvent,
    onState = () => {},
    onDrop = () => {},
    WebSocketImpl = globalThis.WebSocket,
    timers = { set: (fn, ms) => setTimeout(fn, ms), clear: (id) => clearTimeout(id) },
    backoff = {},
    maxNotFound = 20,
    maxUnauthorized = 3,
  }) {
    Object.assign(this, { getUrl, onEvent, onState, onDrop, WebSocketImpl, timers, backoff });
    this.maxNotFound = maxNotFound;
    this.maxUnauthorized = maxUnauthorized;
    this.lastSeq = 0;
    this.state = "idle";
    this.attempt = 0;
    this.notFound = 0;
    this.unauthorized = 0;
    this.ended = false;
    this.sawEndStatus = false;
    this.socket = null;
    this.timer = null;
  }

  start(after = 0) {
    this.lastSeq = after;
    this.attempt = 0;
    this.ended = false;
    this.connect();
  }

  stop() {
    this.setState("stopped");
    this.timers.clear(this.timer);
    this.timer = null;
    if (this.socket) {
      const socket = this.socket;
      this.socket = null;
      socket.close(1000, "panel closed");
    }
  }

  // Try now instead of waiting out the back-off (the browser came back online).
  wake() {
    if (this.state === "reconnecting" && this.timer !== null) {
      this.timers.clear(this.timer);
      this.timer = null;
      this.connect();
    }
  }

  setState(state, detail = {}) {
    this.state = state;
    this.onState({ state, attempt: this.attempt, lastSeq: this.lastSeq, ...detail });
  }

  isFinal() {
    return ["ended", "failed", "stopped"].includes(this.state);
  }

  async connect() {
    if (this.isFinal()) return;
    this.setState(this.attempt === 0 ? "connecting" : "reconnecting");
    let url;
    try {
      url = await this.getUrl(this.lastSeq);
    } catch (error) {
      if (error && error.kind === "auth") return this.setState("failed", { reason: error.message, error });
      if (error && error.kind === "config") return this.setState("failed", { reason: error.message, error });
      if (error && error.kind === "not_found") return this.retryNotFound(error.message);
      return this.retry(error && error.message ? error.message : String(error));
    }
    if (this.isFinal()) return;
    const socket = new this.WebSocketImpl(url);
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket === socket) this.setState("open");
    };
    socket.onmessage = (message) => {
      if (this.socket === socket) this.receive(message.data);
    };
    socket.onclose = (close) => {
      if (this.socket !== socket) return; // replaced or stopped
      this.socket = null;
      this.closed(close.code, close.reason || "");
    };
    socket.onerror = () => {}; // a close follows, with the code
  }

  receive(data) {
    let raw;
    try {
      raw = JSON.parse(typeof data === "string" ? data : "");
    } catch {
      this.onDrop("not JSON");
      return;
    }
    const checked = checkEvent(raw);
    if (!checked.ok) {
      this.onDrop(checked.error);
      return;
    }
    const event = checked.event;
    if (event.seq <= this.lastSeq) return; // already seen (a replay overlapping live events)
    this.lastSeq = event.seq;
    this.attempt = 0; // the connection works: back-off starts over next time
    this.notFound = 0;
    this.unauthorized = 0;
    // "ended" comes just before the summary: only the summary (or a fatal error) is the end.
    if (event.type === "call.status" && event.status === "ended") this.sawEndStatus = true;
    if (event.type === "call.summary") this.ended = true;
    if (event.type === "error" && event.fatal) this.ended = true;
    this.onEvent(event);
  }

  closed(code, reason) {
    if (this.isFinal()) return;
    if (this.ended) return this.setState("ended", { code, reason });
    if (this.sawEndStatus && code === 1000) {
      // Closed after "ended" without a summary: one more visit fetches it if it exists.
      if (this.endVisits >= 1) return this.setState("ended", { code, reason });
      this.endVisits = (this.endVisits || 0) + 1;
    }
    if (code === BAD_REQUEST) return this.setState("failed", { code, reason });
    if (code === NOT_FOUND) return this.retryNotFound(reason);
    if (code === UNAUTHORIZED) {
      this.unauthorized += 1;
      if (this.unauthorized > this.maxUnauthorized) return this.setState("failed", { code, reason });
    }
    if (code === TOO_SLOW) {
      this.attempt = 0; // reconnect at once and catch up from the last seq
    }
    this.retry(reason || `closed (${code})`, code);
  }

  // The call may not exist yet (its audio socket creates it): keep trying for a while.
  retryNotFound(reason) {
    this.notFound += 1;
    if (this.notFound > this.maxNotFound) return this.setState("failed", { code: NOT_FOUND, reason });
    this.retry(reason, NOT_FOUND);
  }

  retry(reason, code = 0) {
    this.attempt += 1;
    const delay = code === TOO_SLOW && this.attempt === 1 ? 0 : backoffDelay(this.attempt, this.backoff);
    this.setState("reconnecting", { reason, code, retryInMs: delay });
    this.timer = this.timers.set(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }
}
