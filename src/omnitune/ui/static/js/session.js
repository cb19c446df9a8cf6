// Shows who is signed in, signs out, and pops in-app notifications as they arrive (SSE).
import { api, el } from "./api.js";

const who = document.getElementById("who");
api("GET", "/api/me").then((me) => { who.textContent = `${me.name} (${me.role})`; }).catch(() => {});
document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/api/logout");
  window.location.assign("/login");
});

// Only notifications newer than this page load are shown; the stream starts at the inbox's end.
const shown = el("div", { id: "toasts", role: "status", "aria-live": "polite" });
document.body.append(shown);
const opened = Date.now();
const source = new EventSource("/api/training/notifications/stream");
source.addEventListener("notification", (event) => {
  const note = JSON.parse(event.data);
  if (Date.parse(note.ts) < opened - 2000) return;
  const toast = el("div", { class: "toast", text: note.text });
  shown.append(toast);
  setTimeout(() => toast.remove(), 8000);
});
