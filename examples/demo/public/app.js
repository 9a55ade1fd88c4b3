// The demo page's script: the SSE clock and the upload list. Plain browser JavaScript.
"use strict";

// ---- live clock over Server-Sent Events ------------------------------------------------
(function clock() {
  const clock = document.getElementById("clock");
  const count = document.getElementById("sse-count");
  const state = document.getElementById("sse-state");
  const log = document.getElementById("sse-log");
  let received = 0;
  const source = new EventSource("/events");
  source.addEventListener("open", () => { state.textContent = "connected"; });
  source.addEventListener("error", () => { state.textContent = "reconnecting"; });
  source.addEventListener("time", (e) => {
    const { time } = JSON.parse(e.data);
    clock.textContent = new Date(time).toLocaleTimeString();
    clock.dataset.iso = time;
    count.textContent = String(++received);
    const li = document.createElement("li");
    li.textContent = time;
    log.prepend(li);
    while (log.children.length > 5) log.lastElementChild.remove();
  });
})();

// ---- uploads ---------------------------------------------------------------------------
function formatSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

async function refreshUploads() {
  const list = document.getElementById("upload-list");
  const files = await (await fetch("/api/uploads")).json();
  list.replaceChildren();
  if (files.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "none yet";
    list.append(li);
  }
  for (const f of files) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "/uploads/" + encodeURIComponent(f.name);
    a.textContent = f.name;
    a.className = "upload";
    li.append(a, ` (${formatSize(f.size)})`);
    list.append(li);
  }
}

// Upload without leaving the page; without JavaScript the form posts and comes back here.
document.getElementById("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const status = document.getElementById("upload-status");
  status.textContent = "uploading…";
  try {
    const r = await fetch("/upload", { method: "POST", body: new FormData(form) });
    const answer = await r.json();
    status.textContent = r.ok ? `saved ${answer.files.map((f) => f.name).join(", ")}` : `failed: ${answer.error}`;
    form.reset();
  } catch (err) {
    status.textContent = `failed: ${err}`;
  }
  refreshUploads();
});

refreshUploads();
