// One model version: lineage (base model, method, plan, job, data hash, checksum) and metrics.
import { api, el, fmt, when } from "./api.js";

const ref = document.getElementById("main").dataset.ref;
const m = await api("GET", `/api/training/models/${encodeURIComponent(ref)}`);
document.getElementById("model-ref").textContent = `${m.name}:v${m.version}`;
const pairs = (entries) => entries.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]);
const job = el("a", { href: `/jobs/${m.job_id}`, text: m.job_id });
document.getElementById("lineage").replaceChildren(...pairs([
  ["base model", m.base_model], ["method", m.method], ["recipe", m.recipe], ["plan", m.plan_id], ["job", job],
  ["aliases", m.aliases.join(", ") || "–"], ["tags", Object.entries(m.tags).map(([k, v]) => (v ? `${k}=${v}` : k)).join(", ") || "–"],
  ["dataset hash", m.dataset_hash || "–"], ["sha256", m.sha256], ["artefact", m.artefact_path], ["created", when(m.created_at)],
]));
document.getElementById("metrics").replaceChildren(...pairs(Object.entries(m.metrics).map(([k, v]) => [k, fmt(v)])));
document.getElementById("compare-link").href = `/compare?left=${m.id}`;
