// The offscreen document: one call at a time, from offscreen.start to offscreen.stop.
// Microphone + tab → AudioWorklet → 16 kHz stereo int16 frames → audio WebSocket.
// It has no chrome.storage: status goes to the service worker, which publishes it.

import { StereoEncoder, startMessage } from "../lib/pcm.js";
import { checkMessage, message, senderKind } from "../lib/protocol.js";
import { AudioSocket } from "./audio-socket.js";
import { AudioCapture } from "./capture.js";

const ORIGIN = chrome.runtime.getURL("");
const STATUS_EVERY_MS = 1000;

let call = null; // the call being captured

function report(status, extra = {}) {
  if (!call) return;
  call.status = status;
  const data = {
    call_id: call.id,
    status,
    sources: { mic: call.sources.mic, tab: call.sources.tab },
    seconds: Math.round(call.seconds * 10) / 10,
  };
  const text = extra.message ?? call.note;
  if (text) data.message = String(text).slice(0, 500);
  call.lastReport = Date.now();
  chrome.runtime.sendMessage(message("offscreen.status", data)).catch(() => {});
}

async function requestToken(callId) {
  const answer = await chrome.runtime.sendMessage(message("offscreen.token", { call_id: callId }));
  if (!answer || !answer.ok || typeof answer.token !== "string") {
    throw new Error(answer && answer.error ? String(answer.error.message) : "无法获取连接令牌");
  }
  return answer.token;
}

function onBlock(rep, customer) {
  if (!call || !call.encoder) return;
  const frames = call.encoder.push(call.sources.mic ? rep : null, call.sources.tab ? customer : null);
  for (const frame of frames) call.socket.send(frame);
  call.seconds += rep.length / call.capture.sampleRate;
  if (Date.now() - call.lastReport >= STATUS_EVERY_MS && call.status !== "stopping") report(call.status);
}

function onSocketState(state, detail) {
  if (!call) return;
  if (state === "warning") {
    call.note = detail.message;
    return report(call.status);
  }
  if (state === "streaming" && detail.resumed) call.note = "已重新连接，继续录音";
  if (state === "error") {
    report("error", { message: detail.message });
    return shutdown();
  }
  report(state, detail.message ? { message: detail.message } : {});
  if (state === "stopped") call = null;
}

async function start(data) {
  if (call) return { ok: false, error: { kind: "busy", message: "已有录音在进行中" } };
  const capture = new AudioCapture({ onBlock, onEnded: (why) => stop(why) });
  call = { id: data.call_id, capture, sources: { mic: false, tab: false }, seconds: 0, status: "starting", note: "", lastReport: 0 };
  report("starting");
  let opened;
  try {
    opened = await capture.start({ streamId: data.stream_id, mic: data.mic });
  } catch (error) {
    report("error", { message: error.message });
    await capture.stop().catch(() => {});
    call = null;
    return { ok: false, error: { kind: "capture", message: error.message } };
  }
  call.sources = { mic: opened.mic, tab: opened.tab };
  call.note = opened.problems.join("；");
  call.encoder = new StereoEncoder(capture.sampleRate);
  call.socket = new AudioSocket({
    wsUrl: data.ws_url,
    header: startMessage({ customerName: data.customer_name, hotwords: data.hotwords }),
    getToken: () => requestToken(data.call_id),
    onState: onSocketState,
  });
  call.socket.open();
  return { ok: true, sources: call.sources, problems: opened.problems };
}

async function stop(why = "") {
  if (!call || call.status === "stopping") return { ok: true };
  if (why) call.note = why;
  report("stopping");
  const { capture, encoder, socket } = call;
  await capture.stop().catch(() => {});
  if (socket) await socket.stop(encoder ? encoder.flush() : []);
  else call = null;
  return { ok: true };
}

async function shutdown() {
  const current = call;
  call = null;
  if (current) await current.capture.stop().catch(() => {});
}

chrome.runtime.onMessage.addListener((raw, sender, sendResponse) => {
  const from = senderKind(sender, chrome.runtime.id, ORIGIN);
  if (!from) return false;
  const checked = checkMessage(raw, { target: "offscreen", from });
  if (checked === null) return false;
  if (!checked.ok) {
    console.warn("dropped message:", checked.error);
    return false;
  }
  const { type, data } = checked.message;
  const work = type === "offscreen.start" ? start(data) : stop();
  work.then(sendResponse, (error) => sendResponse({ ok: false, error: { kind: "internal", message: error.message } }));
  return true;
});
