// The call page's player follows the transcript: a time or an evidence link seeks the
// recording, and the line being played is marked. Without a recording the links are plain
// anchors (#seg-…), highlighted by CSS :target.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const player = document.getElementById("player");
  if (!player) return;
  const lines = Array.from(document.querySelectorAll("li.seg[data-start]"));
  const seek = (seconds) => {
    if (!Number.isFinite(seconds)) return;
    player.currentTime = seconds;
  };
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-seek]");
    if (!link) return;
    seek(parseFloat(link.dataset.seek));
    player.play().catch(() => {}); // autoplay may be refused: the position is set anyway
  });
  const start = parseFloat(new URLSearchParams(location.search).get("t"));
  if (Number.isFinite(start)) {
    player.addEventListener("loadedmetadata", () => seek(start), { once: true });
  }
  let current = null;
  player.addEventListener("timeupdate", () => {
    const now = player.currentTime;
    let found = null;
    for (const line of lines) {
      if (parseFloat(line.dataset.start) <= now) found = line;
      else break;
    }
    if (found === current) return;
    if (current) current.classList.remove("playing");
    if (found) found.classList.add("playing");
    current = found;
  });
});
