import { EventsSocket, backoffDelay } from "../lib/events-socket.js";
import { assert, assertEqual, test } from "./harness.js";

// A WebSocket stand-in the test drives by hand.
class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.closedWith = null;
    FakeSocket.all.push(this);
  }
  open() {
    this.onopen && this.onopen();
  }
  emit(event) {
    this.onmessage && this.onmessage({ data: typeof event === "string" ? event : JSON.stringify(event) });
  }
  drop(code, reason = "") {
    this.onclose && this.onclose({ code, reason });
  }
  close(code) {
    this.closedWith = code;
  }
}

function fakeTimers() {
  const pending = [];
  return {
    pending,
    set: (fn, ms) => {
      pending.push({ fn, ms });
      return pending.length;
    },
    clear: () => {},
    runNext() {
      const next = pending.shift();
      next.fn();
      return next.ms;
    },
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function setup(options = {}) {
  FakeSocket.all = [];
  const events = [];
  const states = [];
  const urls = [];
  const timers = fakeTimers();
  const socket = new EventsSocket({
    getUrl: async (after) => {
      urls.push(after);
      if (options.getUrl) return options.getUrl(after);
      return `ws://service/v1/calls/c1/events?token=t&after=${after}`;
    },
    onEvent: (e) => events.push(e),
    onState: (s) => states.push(s),
    WebSocketImpl: FakeSocket,
    timers,
    backoff: { random: () => 1 },
    ...options.extra,
  });
  return { socket, events, states, urls, timers };
}

const ev = (seq, type = "transcript.final", extra = {}) => ({
  type,
  call_id: "c1",
  seq,
  ts: 1,
  ...(type.startsWith("transcript") ? { segment: { id: `s${seq}`, start: seq, end: seq + 1, speaker: "customer", text: `第${seq}句` } } : {}),
  ...extra,
});

test("events socket: back-off doubles up to a ceiling, with jitter", () => {
  assertEqual([1, 2, 3, 4, 10].map((a) => backoffDelay(a, { random: () => 1 })), [500, 1000, 2000, 4000, 15000]);
  assertEqual(backoffDelay(1, { random: () => 0 }), 250);
});

test("events socket: resumes after the last seq and drops duplicates", async () => {
  const { socket, events, urls, timers } = setup();
  socket.start(0);
  await tick();
  FakeSocket.all[0].open();
  FakeSocket.all[0].emit(ev(1));
  FakeSocket.all[0].emit(ev(2));
  FakeSocket.all[0].drop(1006);
  assertEqual(socket.state, "reconnecting");
  assertEqual(timers.runNext(), 500);
  await tick();
  assertEqual(urls, [0, 2]);
  const second = FakeSocket.all[1];
  second.open();
  second.emit(ev(2)); // replayed again by an overlapping server: ignored
  second.emit(ev(3));
  assertEqual(events.map((e) => e.seq), [1, 2, 3]);
  assertEqual(socket.lastSeq, 3);
});

test("events socket: invalid events are dropped, not applied", async () => {
  const dropped = [];
  const { socket, events } = setup({ extra: { onDrop: (why) => dropped.push(why) } });
  socket.start(0);
  await tick();
  FakeSocket.all[0].emit("not json");
  FakeSocket.all[0].emit({ type: "unknown.kind", call_id: "c1", seq: 1, ts: 1 });
  FakeSocket.all[0].emit({ type: "transcript.final", call_id: "c1", seq: 2, ts: 1 });
  FakeSocket.all[0].emit(ev(3));
  assertEqual(events.map((e) => e.seq), [3]);
  assertEqual(dropped.length, 3);
});

test("events socket: the summary ends it; no reconnect after a normal close", async () => {
  const { socket, states, timers } = setup();
  socket.start(0);
  await tick();
  FakeSocket.all[0].emit(ev(1, "call.status", { status: "ended" }));
  FakeSocket.all[0].emit(ev(2, "call.summary", { summary: {} }));
  FakeSocket.all[0].drop(1000);
  assertEqual(socket.state, "ended");
  assertEqual(timers.pending.length, 0);
  assertEqual(states.at(-1).state, "ended");
});

test("events socket: closed after 'ended' without a summary: one more visit, then ended", async () => {
  const { socket, timers } = setup();
  socket.start(0);
  await tick();
  FakeSocket.all[0].emit(ev(5, "call.status", { status: "ended" }));
  FakeSocket.all[0].drop(1000);
  assertEqual(socket.state, "reconnecting");
  timers.runNext();
  await tick();
  FakeSocket.all[1].drop(1000);
  assertEqual(socket.state, "ended");
});

test("events socket: an unknown call is retried for a while, then fails", async () => {
  const { socket, timers } = setup({ extra: { maxNotFound: 2 } });
  socket.start(0);
  await tick();
  FakeSocket.all[0].drop(4404, "call not found");
  assertEqual(socket.state, "reconnecting");
  timers.runNext();
  await tick();
  FakeSocket.all[1].drop(4404, "call not found");
  timers.runNext();
  await tick();
  FakeSocket.all[2].drop(4404, "call not found");
  assertEqual(socket.state, "failed");
});

test("events socket: a bad API key fails at once (no retry storm)", async () => {
  const { socket, timers } = setup({
    getUrl: () => {
      const error = new Error("API Key 无效");
      error.kind = "auth";
      throw error;
    },
  });
  socket.start(0);
  await tick();
  assertEqual(socket.state, "failed");
  assertEqual(timers.pending.length, 0);
});

test("events socket: an unreachable service is retried with growing delays", async () => {
  let calls = 0;
  const { socket, timers } = setup({
    getUrl: () => {
      calls += 1;
      const error = new Error("无法连接");
      error.kind = "unreachable";
      throw error;
    },
  });
  socket.start(0);
  await tick();
  const delays = [];
  for (let i = 0; i < 4; i++) {
    delays.push(timers.runNext());
    await tick();
  }
  assertEqual(delays, [500, 1000, 2000, 4000]);
  assertEqual(calls, 5);
  assertEqual(socket.state, "reconnecting");
});

test("events socket: 'too slow' reconnects at once from the last seq", async () => {
  const { socket, timers, urls } = setup();
  socket.start(0);
  await tick();
  FakeSocket.all[0].emit(ev(7));
  FakeSocket.all[0].drop(4408, "client too slow");
  assertEqual(timers.runNext(), 0);
  await tick();
  assertEqual(urls, [0, 7]);
});

test("events socket: stop closes the socket and never reconnects", async () => {
  const { socket, timers } = setup();
  socket.start(0);
  await tick();
  const first = FakeSocket.all[0];
  socket.stop();
  assertEqual(first.closedWith, 1000);
  first.drop(1000);
  assertEqual(socket.state, "stopped");
  assertEqual(timers.pending.length, 0);
});

test("events socket: wake() skips the wait", async () => {
  const { socket } = setup();
  socket.start(0);
  await tick();
  FakeSocket.all[0].drop(1006);
  socket.wake();
  await tick();
  assertEqual(FakeSocket.all.length, 2);
  assert(socket.state === "reconnecting" || socket.state === "connecting");
});
