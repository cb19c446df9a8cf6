// Two model versions side by side: lineage and every metric either of them reports.
import { api, el, fmt } from "./api.js";

const { models } = await api("GET", "/api/training/models");
const byId = Object.fromEntries(models.map((m) => [m.id, m]));
const params = new URLSearchParams(window.location.search);
const left = document.getElementById("left"), right = document.getElementById("right");
for (const select of [left, right]) {
  select.replaceChildren(...models.map((m) => el("option", { value: m.id, text: `${m.name}:v${m.version}` })));
}
left.value = params.get("left") || models[0]?.id || "";
right.value = params.get("right") || models[1]?.id || models[0]?.id || "";

function render() {
  const a = byId[left.value], b = byId[right.value];
  if (!a || !b) return;
  document.getElementById("left-head").textContent = `${a.name}:v${a.version}`;
  document.getElementById("right-head").textContent = `${b.name}:v${b.version}`;
  const fields = ["base_model", "method", "recipe", "dataset_hash"];
  const metrics = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  const rows = [...fields.map((f) => [f, a[f], b[f]]), ...metrics.map((k) => [k, fmt(a.metrics[k]), fmt(b.metrics[k])])];
  document.getElementById("compare-rows").replaceChildren(...rows.map(([k, x, y]) =>
    el("tr", {}, el("th", { scope: "row", text: k }), el("td", { text: x ?? "–" }), el("td", { text: y ?? "–" }))));
}

left.addEventListener("change", render);
right.addEventListener("change", render);
render();

let session = null;
let lastPrompt = null;
const $ = (id) => document.getElementById(id);
const fail = (err) => { $("try-error").textContent = err.field ? `${err.field}: ${err.message}` : err.message; };

$("session-start").addEventListener("click", async () => {
  $("try-error").textContent = "";
  $("session-status").textContent = "loading both models…";
  try {
    session = await api("POST", "/api/training/test/deploy", { model_id: left.value });
    $("session-status").textContent = `session ${session.session_id}: ${session.model} vs ${session.base_model}`;
    $("try-form").hidden = false;
  } catch (err) { $("session-status").textContent = ""; fail(err); }
});

$("try-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("try-error").textContent = "";
  lastPrompt = $("try-prompt").value;
  try {
    const answers = await api("POST", "/api/training/test/run", { session_id: session.session_id, prompt: lastPrompt });
    $("answer-base").textContent = answers.base;
    $("answer-fine_tuned").textContent = answers.fine_tuned;
    $("try-answers").hidden = false;
  } catch (err) { fail(err); }
});

for (const side of ["base", "fine_tuned"]) {
  $(`rate-${side}`).addEventListener("click", async () => {
    try {
      const { preference_pairs: pairs } = await api("POST", "/api/training/test/rate",
        { session_id: session.session_id, prompt: lastPrompt, chosen: side });
      $("session-status").textContent = `thanks: ${pairs} preference pair${pairs === 1 ? "" : "s"} saved`;
    } catch (err) { fail(err); }
  });
}
