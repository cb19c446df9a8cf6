// The model registry: your versions with their lineage at a glance.
import { api, el, fmt, when } from "./api.js";

const { models } = await api("GET", "/api/training/models");
document.getElementById("models-empty").hidden = models.length > 0;
document.getElementById("model-rows").replaceChildren(...models.map((m) => el("tr", {},
  el("td", {}, el("a", { href: `/models/${m.id}`, text: `${m.name}:v${m.version}` })),
  el("td", { text: m.base_model }),
  el("td", { text: m.method }),
  el("td", { text: fmt(m.metrics.final_loss) }),
  el("td", {}, el("a", { href: `/jobs/${m.job_id}`, text: m.job_id })),
  el("td", { text: when(m.created_at) }))));
