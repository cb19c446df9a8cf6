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
