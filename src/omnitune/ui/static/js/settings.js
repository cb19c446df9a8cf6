// Credentials: set or delete; the API never returns a value, so none is ever shown.
import { api, el, when } from "./api.js";

const $ = (id) => document.getElementById(id);

async function load() {
  const { credentials, known } = await api("GET", "/api/training/credentials");
  if (!$("cred-name").options.length) $("cred-name").replaceChildren(...known.map((n) => el("option", { value: n, text: n })));
  $("cred-rows").replaceChildren(...credentials.map((c) => {
    const remove = el("button", { type: "button", text: "Delete", "aria-label": `Delete ${c.name}` });
    remove.addEventListener("click", async () => { await api("DELETE", `/api/training/credentials/${c.name}`); load(); });
    return el("tr", {}, el("td", { text: c.name }), el("td", { text: when(c.updated_at) }), el("td", {}, remove));
  }));
}

$("cred-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("cred-error").textContent = "";
  try {
    await api("PUT", `/api/training/credentials/${$("cred-name").value}`, { value: $("cred-value").value });
    $("cred-value").value = "";
    load();
  } catch (err) {
    $("cred-error").textContent = err.message;
  }
});
load();

async function loadPreferences() {
  const prefs = await api("GET", "/api/training/notifications/preferences");
  $("notify-in-app").checked = prefs.in_app;
  $("notify-webhook").value = prefs.webhook_url || "";
  $("notify-email").value = prefs.email || "";
  for (const box of $("notify-events").querySelectorAll("input")) box.checked = prefs.events.includes(box.value);
}

$("notify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("notify-error").textContent = "";
  const events = [...$("notify-events").querySelectorAll("input:checked")].map((box) => box.value);
  const body = { in_app: $("notify-in-app").checked, webhook_url: $("notify-webhook").value.trim() || null,
    email: $("notify-email").value.trim() || null, events };
  try {
    await api("PUT", "/api/training/notifications/preferences", body);
    $("notify-status").textContent = "saved";
  } catch (err) {
    $("notify-error").textContent = err.field ? `${err.field}: ${err.message}` : err.message;
  }
});
loadPreferences();
