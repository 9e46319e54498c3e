import { run } from "./harness.js";
import "./pcm.test.js";
import "./protocol.test.js";
import "./events-socket.test.js";
import "./audio-socket.test.js";
import "./call-state.test.js";
import "./message-check.test.js";
import "./sites.test.js";
import "./labels.test.js";
import "./review.test.js";
import "./checklist.test.js";
import "./scorecard.test.js";

run().then((results) => {
  window.__results = results;
  document.querySelector("#out").textContent = results
    .map((r) => `${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `\n${r.error}`}`)
    .join("\n");
});
