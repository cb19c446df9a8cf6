// A job, live: its events stream over SSE (the browser resumes with Last-Event-ID after a drop),
// drawn as loss / learning-rate / throughput charts, a budget bar, and a polled log tail.
import { api, el, fmt, money } from "./api.js";
import { LineChart } from "./chart.js";

const $ = (id) => document.getElementById(id);
const jobId = document.getElementById("main").dataset.ref;
const charts = {
  loss: new LineChart($("loss-chart")),
  lr: new LineChart($("lr-chart"), { color: "#9aa3b2" }),
  speed: new LineChart($("speed-chart"), { color: "#e6e8ee" }),
};
let job = null;
let source = null;

function showJob(next) {
  job = next;
  const state = job.state;
  $("job-state").textContent = state;
  $("job-state").className = `badge ${state}`;
  $("job-reason").textContent = job.reason;
  $("job-model").textContent = `${job.base_model} · ${job.method}`;
  $("job-step").textContent = job.max_steps ? `${job.step} / ${job.max_steps}` : String(job.step);
  $("job-loss").textContent = fmt(job.loss);
  $("job-cost").textContent = money(job.cost_usd);
  showBudget(job.cost_usd, job.budget_usd);
  $("pause-button").disabled = !["queued", "running"].includes(state);
  $("resume-button").disabled = !["paused", "budget_frozen"].includes(state);
  $("cancel-button").disabled = ["succeeded", "failed", "cancelled", "cancelling"].includes(state);
}

function showBudget(cost, budget) {
  const percent = budget ? Math.min(100, (100 * cost) / budget) : 0;
  $("budget-fill").style.width = `${percent}%`;
  $("budget-fill").style.background = percent >= 95 ? "#f87171" : percent >= 80 ? "#fbbf24" : "";
  $("budget").setAttribute("aria-valuenow", String(Math.round(percent)));
  $("budget-text").textContent = budget ? `${money(cost)} of ${money(budget)} (${percent.toFixed(1)}%)` : `${money(cost)} spent · no budget cap`;
}

function onEvent(event) {
  if (event.event === "metrics") {
    charts.loss.add(event.step, event.loss);
    charts.lr.add(event.step, event.lr);
    charts.speed.add(event.step, event.tokens_per_s ?? event.samples_per_s);
    $("job-step").textContent = event.max_steps ? `${event.step} / ${event.max_steps}` : String(event.step);
    $("job-loss").textContent = fmt(event.loss);
    if (event.eta_s !== undefined) $("job-eta").textContent = `${Math.round(event.eta_s)} s`;
  }
  if (typeof event.cost_usd === "number" && job) showBudget(event.cost_usd, job.budget_usd);
  if (event.event === "budget_alert") $("job-reason").textContent = `budget alert: ${event.percent}% used`;
  if (event.event === "state") refresh();
}

function showResult(detail) {
  const metrics = detail.job.metrics || {};
  if (!Object.keys(metrics).length) return;
  $("result-panel").hidden = false;
  $("result-metrics").replaceChildren(...Object.entries(metrics).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: fmt(v) })]));
  const version = detail.model_versions[0];
  if (version) $("model-link").replaceChildren(el("a", { href: `/models/${version.id}`, id: "registered-model", text: `registered ${version.name}:v${version.version}` }));
}

async function refresh() {
  const detail = await api("GET", `/api/training/jobs/${jobId}`);
  showJob(detail.job);
  showResult(detail);
}

async function tailLog() {
  try {
    const { lines } = await api("GET", `/api/training/jobs/${jobId}/logs?lines=80`);
    $("log").textContent = lines.join("\n");
    $("log").scrollTop = $("log").scrollHeight;
  } catch (err) { /* the log appears once the worker starts */ }
  if (!job || ["queued", "running", "pausing", "cancelling"].includes(job.state)) setTimeout(tailLog, 3000);
}

function follow() {
  if (source) source.close();
  source = new EventSource(`/api/training/jobs/${jobId}/stream`);
  for (const name of ["state", "metrics", "eval", "result", "budget_alert", "registered", "setup", "error"]) {
    source.addEventListener(name, (e) => onEvent(JSON.parse(e.data)));
  }
  source.addEventListener("end", () => { source.close(); refresh(); });
}

async function control(action) {
  $("job-error").textContent = "";
  try {
    showJob((await api("POST", `/api/training/jobs/${jobId}/${action}`)).job);
    if (action === "resume") { Object.values(charts).forEach((c) => { c.points = []; }); follow(); tailLog(); }
  } catch (err) {
    $("job-error").textContent = err.message;
  }
}

for (const action of ["pause", "resume", "cancel"]) $(`${action}-button`).addEventListener("click", () => control(action));
refresh().then(() => { follow(); tailLog(); }).catch((err) => { $("job-error").textContent = err.message; });
