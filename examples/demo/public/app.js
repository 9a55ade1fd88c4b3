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

// ---- WebSocket chat (protocol: examples/websocket/chat.ts) ----------------------------
const chatLog = document.getElementById("chat-log");
const chatStatus = document.getElementById("chat-status");
const chatName = document.getElementById("chat-name");
const chatText = document.getElementById("chat-text");
const chatSend = document.getElementById("chat-send");
let chatWs;

function chatLine(cls, who, text) {
  const li = document.createElement("li");
  li.className = cls;
  if (who) { const b = document.createElement("b"); b.textContent = who + ": "; li.append(b); }
  li.append(document.createTextNode(text));
  chatLog.append(li);
  chatLog.scrollTop = chatLog.scrollHeight;
}

function chatConnect() {
  chatWs = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  chatWs.onopen = () => { chatStatus.textContent = "connected"; chatText.disabled = chatSend.disabled = false; };
  chatWs.onclose = (e) => {
    chatStatus.textContent = `disconnected (${e.code}); reconnecting…`;
    chatText.disabled = chatSend.disabled = true;
    setTimeout(chatConnect, 2000);
  };
  chatWs.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "welcome") { chatName.value = m.you; chatLine("info", "", `you are ${m.you}; here: ${m.users.join(", ")}`); }
    else if (m.type === "join") chatLine("info", "", `${m.name} joined`);
    else if (m.type === "leave") chatLine("info", "", `${m.name} left`);
    else if (m.type === "rename") chatLine("info", "", `${m.from} is now ${m.to}`);
    else if (m.type === "say") chatLine("say", m.from, m.text);
    else if (m.type === "error") chatLine("error", "", m.error);
  };
}

chatName.addEventListener("change", () => {
  if (chatWs && chatWs.readyState === WebSocket.OPEN) chatWs.send(JSON.stringify({ type: "name", name: chatName.value }));
});
document.getElementById("chat-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!chatText.value || !chatWs || chatWs.readyState !== WebSocket.OPEN) return;
  chatWs.send(JSON.stringify({ type: "say", text: chatText.value }));
  chatText.value = "";
});
const httpsLink = document.getElementById("https-link");
if (httpsLink && location.protocol === "https:") httpsLink.parentElement.append(" (you are on it)");
chatConnect();
