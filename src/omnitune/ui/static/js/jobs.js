// The jobs list, refreshed every few seconds while any job is active.
import { api, el, fmt, money, when } from "./api.js";

const ACTIVE = ["queued", "running", "pausing", "cancelling"];

async function load() {
  const { jobs } = await api("GET", "/api/training/jobs");
  document.getElementById("jobs-empty").hidden = jobs.length > 0;
  document.getElementById("job-rows").replaceChildren(...jobs.map((job) => el("tr", {},
    el("td", {}, el("a", { href: `/jobs/${job.id}`, text: job.id })),
    el("td", { text: `${job.base_model} · ${job.method}` }),
    el("td", {}, el("span", { class: `badge ${job.state}`, text: job.state })),
    el("td", { text: job.max_steps ? `${job.step} / ${job.max_steps}` : String(job.step) }),
    el("td", { text: fmt(job.loss) }),
    el("td", { text: money(job.cost_usd) }),
    el("td", { text: when(job.created_at) }))));
  if (jobs.some((job) => ACTIVE.includes(job.state))) setTimeout(load, 3000);
}

load();
