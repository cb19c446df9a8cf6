// The wizard: describe the goal → review and edit the plan's tiles (each edit is re-planned) → approve.
import { api, el, fmt, money } from "./api.js";

const $ = (id) => document.getElementById(id);
let plan = null;

function setOptions(select, values, current) {
  select.replaceChildren(...values.map(([value, label]) => el("option", { value, text: label })));
  select.value = current;
}

function listInto(list, items, panel) {
  list.replaceChildren(...items.map((text) => el("li", { text })));
  panel.hidden = items.length === 0;
}

function render(next) {
  plan = next;
  $("plan-section").hidden = false;
  $("plan-id").textContent = plan.id;
  $("plan-summary").textContent = plan.intent.summary || plan.request;
  listInto($("question-list"), plan.questions, $("questions"));
  listInto($("warning-list"), [...plan.warnings, ...plan.feasibility.problems], $("warnings"));
  const model = plan.models[0];
  $("tiles").hidden = !model;
  $("approve-form").hidden = !model;
  if (!model) return;
  $("model-value").textContent = model.base_model;
  setOptions($("model-select"), [[model.base_model, `${model.base_model} (chosen)`],
    ...model.alternatives.map((a) => [a.model_id, a.model_id])], model.base_model);
  $("model-reason").textContent = model.alternatives.map((a) => `${a.model_id}: ${a.reason}`).join(" · ");
  $("method-value").textContent = `${model.method} (recipe ${model.recipe})`;
  $("method-select").value = model.method;
  const data = plan.data;
  $("data-value").textContent = data.path || "no data chosen yet";
  $("data-report").textContent = `${data.kind || "data"} · ${data.format || "format ?"} · found ${fmt(data.found_samples)}`
    + ` · needs ≥ ${data.min_samples}, ideally ${data.recommended_samples}`;
  $("data-input").value = data.path || "";
  $("gpu-value").textContent = `${plan.training.gpu.count} × ${plan.training.gpu.type}`;
  $("gpu-select").value = plan.training.gpu.type;
  $("vram-value").textContent = `peak memory ≈ ${fmt(plan.estimates.peak_vram_gb, 3)} GB`;
  $("cost-value").textContent = `${money(plan.estimates.cost_usd.total)} estimated`;
  $("hours-value").textContent = `${fmt(plan.estimates.gpu_hours, 3)} device-hours · budget `
    + (plan.training.budget_usd === null ? "none" : money(plan.training.budget_usd));
  $("budget-input").value = plan.training.budget_usd ?? "";
  $("preset-select").value = plan.training.preset;
  renderHyperparameters(plan.training.hyperparameters);
}

function renderHyperparameters(values) {
  $("hp-rows").replaceChildren(...Object.entries(values).map(([key, value]) => {
    const input = el("input", { id: `hp-${key}`, "data-key": key, value: String(value), "aria-label": key });
    return el("tr", {}, el("th", { scope: "row", text: key }), el("td", {}, input));
  }));
}

async function edit(tile, body) {
  $("plan-error").textContent = "";
  try {
    render((await api("PUT", `/api/training/plans/${plan.id}/tiles/${tile}`, body)).plan);
  } catch (err) {
    $("plan-error").textContent = `${tile}: ${err.message}`;
  }
}

$("goal-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("goal-error").textContent = "";
  $("goal-status").textContent = "planning…";
  $("plan-button").disabled = true;
  const options = {};
  if ($("data-path").value.trim()) options.data_path = $("data-path").value.trim();
  if ($("base-model").value.trim()) options.base_model = $("base-model").value.trim();
  try {
    render((await api("POST", "/api/training/parse-intent", { prompt: $("prompt").value, options })).plan);
    $("goal-status").textContent = "";
    $("plan-title").scrollIntoView({ behavior: "smooth" });
  } catch (err) {
    $("goal-error").textContent = err.message;
    $("goal-status").textContent = "";
  } finally {
    $("plan-button").disabled = false;
  }
});

$("model-select").addEventListener("change", (e) => edit("model", { base_model: e.target.value }));
$("method-select").addEventListener("change", (e) => edit("method", { method: e.target.value }));
$("gpu-select").addEventListener("change", (e) => edit("gpu", { type: e.target.value }));
$("preset-select").addEventListener("change", (e) => edit("budget", { preset: e.target.value }));
$("data-save").addEventListener("click", () => edit("data", { path: $("data-input").value.trim() }));
$("budget-save").addEventListener("click", () => edit("budget", { budget_usd: Number($("budget-input").value) }));
$("hp-save").addEventListener("click", () => {
  const values = {};
  for (const input of $("hp-rows").querySelectorAll("input")) {
    if (input.value !== String(plan.training.hyperparameters[input.dataset.key])) values[input.dataset.key] = input.value;
  }
  if (Object.keys(values).length) edit("hyperparameters", { values });
});

$("approve-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("plan-error").textContent = "";
  $("approve-button").disabled = true;
  const body = {};
  if ($("max-steps").value) body.max_steps = Number($("max-steps").value);
  try {
    const { jobs } = await api("POST", `/api/training/plans/${plan.id}/approve`, body);
    window.location.assign(`/jobs/${jobs[0].id}`);
  } catch (err) {
    $("plan-error").textContent = err.field ? `${err.field}: ${err.message}` : err.message;
    $("approve-button").disabled = false;
  }
});

$("data-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  $("upload-status").textContent = "uploading…";
  const form = new FormData();
  form.append("file", file);
  const response = await fetch("/api/training/datasets", { method: "POST", body: form, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    $("upload-status").textContent = "";
    $("goal-error").textContent = (body.error && body.error.message) || `upload failed (HTTP ${response.status})`;
    return;
  }
  $("data-path").value = body.path;
  $("upload-status").textContent = `uploaded ${body.name} (${Math.ceil(body.bytes / 1024)} KB)`;
});
