import { AudioSocket } from "../offscreen/audio-socket.js";
import { assertEqual, test } from "./harness.js";

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    this.closedWith = null;
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen && this.onopen();
  }
  reply(message) {
    this.onmessage && this.onmessage({ data: JSON.stringify(message) });
  }
  drop(code, reason = "") {
    this.readyState = 3;
    this.onclose && this.onclose({ code, reason });
  }
  send(data) {
    this.sent.push(typeof data === "string" ? JSON.parse(data) : new Uint8Array(data)[0]);
  }
  close(code) {
    this.closedWith = code;
  }
}

function timers() {
  const pending = [];
  return {
    pending,
    set: (fn, ms) => pending.push({ fn, ms }),
    clear: () => {},
    runNext: () => pending.shift().fn(),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const frame = (n) => Uint8Array.from([n, 0]).buffer; // the first byte names the frame

function setup(extra = {}) {
  FakeSocket.all = [];
  const states = [];
  let tokens = 0;
  const clock = timers();
  const socket = new AudioSocket({
    wsUrl: "ws://service/v1/calls/c1/audio",
    header: { type: "start", sample_rate: 16000, channels: 2 },
    getToken: async () => `t${++tokens}`,
    onState: (state, detail) => states.push([state, detail]),
    WebSocketImpl: FakeSocket,
    timers: clock,
    ...extra,
  });
  return { socket, states, clock };
}

test("audio socket: header first, frames wait for 'started', then go in order", async () => {
  const { socket, states } = setup();
  socket.open();
  await tick();
  const ws = FakeSocket.all[0];
  assertEqual(ws.url, "ws://service/v1/calls/c1/audio?token=t1");
  socket.send(frame(1));
  ws.open();
  socket.send(frame(2));
  assertEqual(ws.sent, [{ type: "start", sample_rate: 16000, channels: 2 }]);
  ws.reply({ type: "started", call_id: "c1", resumed: false });
  socket.send(frame(3));
  assertEqual(ws.sent.slice(1), [1, 2, 3]);
  assertEqual(states.map((s) => s[0]), ["starting", "streaming"]);
});

test("audio socket: a dropped connection reopens with a new token and resumes", async () => {
  const { socket, states, clock } = setup();
  socket.open();
  await tick();
  FakeSocket.all[0].open();
  FakeSocket.all[0].reply({ type: "started", call_id: "c1" });
  FakeSocket.all[0].drop(1006);
  socket.send(frame(7)); // produced while disconnected: buffered
  assertEqual(states.at(-1)[0], "reconnecting");
  clock.runNext();
  await tick();
  const second = FakeSocket.all[1];
  assertEqual(second.url.endsWith("token=t2"), true);
  second.open();
  second.reply({ type: "started", call_id: "c1", resumed: true });
  assertEqual(second.sent, [{ type: "start", sample_rate: 16000, channels: 2 }, 7]);
  assertEqual(states.at(-1), ["streaming", { resumed: true }]);
});

test("audio socket: a rejected header is final, no reconnect", async () => {
  const { socket, states, clock } = setup();
  socket.open();
  await tick();
  FakeSocket.all[0].open();
  FakeSocket.all[0].reply({ type: "error", code: "4400", message: "invalid start header" });
  FakeSocket.all[0].drop(4400, "invalid start header");
  assertEqual(states.at(-1)[0], "error");
  assertEqual(clock.pending.length, 0);
});

test("audio socket: the buffer keeps the newest frames when full", async () => {
  const { socket } = setup({ maxBufferedFrames: 3 });
  for (let i = 1; i <= 5; i++) socket.send(frame(i));
  assertEqual(socket.buffer.map((b) => new Uint8Array(b)[0]), [3, 4, 5]);
  assertEqual(socket.dropped, 2);
});

test("audio socket: stop sends the last frames, then stop, and waits for 'stopped'", async () => {
  const { socket, states } = setup();
  socket.open();
  await tick();
  const ws = FakeSocket.all[0];
  ws.open();
  ws.reply({ type: "started", call_id: "c1" });
  let done = false;
  const stopping = socket.stop([frame(9)]).then(() => {
    done = true;
  });
  assertEqual(ws.sent.slice(1), [9, { type: "stop" }]);
  await tick();
  assertEqual(done, false);
  ws.reply({ type: "stopped", call_id: "c1" });
  await stopping;
  assertEqual(states.at(-1)[0], "stopped");
  assertEqual(ws.closedWith, 1000);
  socket.send(frame(10)); // after the end: ignored
  assertEqual(ws.sent.length, 3);
});
