// 「录音分析」: drop a recording, the service analyses it in the background, the panel polls
// until the summary is ready and shows it with 「确认归档」.

import { apiFromSettings, describeError } from "../lib/api.js";
import { $, clear, h } from "../lib/dom.js";
import { renderSummary } from "./summary.js";

const POLL_MS = 1500;
const MAX_WAIT_MS = 20 * 60 * 1000;
const MAX_BYTES = 200 * 1024 * 1024; // the service's default upload limit

export function setupRecording() {
  const zone = $("#dropzone");
  const input = $("#file-input");
  const status = $("#upload-status");
  const result = $("#upload-summary");
  let busy = false;

  const say = (text, kind = "") => {
    status.className = `status ${kind}`;
    status.textContent = text;
  };

  async function analyse(file) {
    if (busy || !file) return;
    if (file.size > MAX_BYTES) return say("文件超过 200 MB，请先截取或压缩", "error");
    busy = true;
    clear(result);
    try {
      const api = await apiFromSettings();
      say(`正在上传「${file.name}」…`);
      const { call_id: callId } = await api.uploadRecording(file);
      const started = Date.now();
      for (;;) {
        const call = await api.getCall(callId);
        if (call.status === "failed") throw new Error("分析失败：录音无法解码或内容为空");
        // The summary endpoint answers 409 until the analysis is done.
        const summary = await api.getSummary(callId).catch((error) => {
          if (error.kind === "not_ready") return null;
          throw error;
        });
        if (summary) {
          say(`分析完成（通话 ${callId}）`, "ok");
          renderSummary(result, summary, { api, callId, call });
          return;
        }
        const waited = Math.round((Date.now() - started) / 1000);
        if (Date.now() - started > MAX_WAIT_MS) throw new Error("分析超时，请稍后在通话列表中查看");
        say(`分析中… 已等待 ${waited} 秒`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } catch (error) {
      say(error.kind ? describeError(error) : error.message, "error");
    } finally {
      busy = false;
    }
  }

  input.addEventListener("change", () => analyse(input.files && input.files[0]));
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") input.click();
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    analyse(event.dataTransfer.files && event.dataTransfer.files[0]);
  });
  return { analyse };
}
