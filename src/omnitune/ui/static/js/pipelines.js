// Your pipelines, refreshed every few seconds while any is running.
import { api, el, when } from "./api.js";

async function load() {
  const { pipelines } = await api("GET", "/api/training/pipelines");
  document.getElementById("pipelines-empty").hidden = pipelines.length > 0;
  document.getElementById("pipeline-rows").replaceChildren(...pipelines.map((p) => el("tr", {},
    el("td", {}, el("a", { href: `/pipelines/${p.id}`, text: p.id })),
    el("td", { text: p.request || p.type }),
    el("td", {}, el("span", { class: `badge ${p.state}`, text: p.state })),
    el("td", { text: `${p.stages_done} / ${p.stages}` }),
    el("td", { text: when(p.created_at) }))));
  if (pipelines.some((p) => p.state === "running")) setTimeout(load, 3000);
}

load();
