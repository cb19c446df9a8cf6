// One pipeline as a graph: a column per dependency depth, an arrow per dependency, live status (polled).
import { api, el, fmt } from "./api.js";

const ref = document.getElementById("main").dataset.ref;
const $ = (id) => document.getElementById(id);
const SETTLED = ["succeeded", "failed", "stopped"];
const DONE = ["succeeded", "used_as_is"];
const W = 220, H = 76, GAP_X = 80, GAP_Y = 24, PAD = 12;
const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function status(stage) {
  const job = stage.job;
  if (!job) return stage.state;
  const step = job.max_steps ? `${job.step}/${job.max_steps}` : `${job.step}`;
  return stage.state === "running" ? `running · step ${step}` : `${stage.state} · step ${step}`;
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// Where each stage's box goes: x by depth, y by its place among the stages of the same depth.
function layout(stages) {
  const rows = {}, at = {};
  for (const stage of stages) {
    const row = rows[stage.depth] = (rows[stage.depth] ?? -1) + 1;
    at[stage.name] = { x: PAD + stage.depth * (W + GAP_X), y: PAD + row * (H + GAP_Y) };
  }
  const depth = Math.max(0, ...stages.map((s) => s.depth)), tallest = Math.max(0, ...Object.values(rows));
  return { at, width: 2 * PAD + (depth + 1) * W + depth * GAP_X, height: 2 * PAD + (tallest + 1) * H + tallest * GAP_Y };
}

function node(stage, { x, y }) {
  const box = svg("g", { class: `node ${stage.state}`, id: `stage-${stage.name}`, "data-state": stage.state,
    transform: `translate(${x},${y})` },
  svg("rect", { width: W, height: H, rx: 10 }),
  svg("text", { x: 12, y: 22, text: clip(stage.name, 26) }),
  svg("text", { x: 12, y: 41, class: "sub", text: clip(`${stage.role} · ${stage.base_model}`, 31) }),
  svg("text", { x: 12, y: 62, class: "status", text: status(stage) }),
  svg("title", { text: `${stage.name}: ${stage.state}${stage.reason ? ` (${stage.reason})` : ""}` }));
  return stage.job_id ? svg("a", { href: `/jobs/${stage.job_id}`, "aria-label": `${stage.name}: ${stage.state}, open job` }, box) : box;
}

function edge(from, to, done, name) {
  const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x - 4, y2 = to.y + H / 2, mid = (x1 + x2) / 2;
  return svg("path", { class: `edge${done ? " done" : ""}`, "data-from": name.from, "data-to": name.to,
    d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" });
}

function drawGraph(pipeline) {
  const { at, width, height } = layout(pipeline.stages);
  const states = Object.fromEntries(pipeline.stages.map((s) => [s.name, s.state]));
  const arrow = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z" }));
  const summary = pipeline.stages.map((s) => `${s.name} ${s.state}`).join(", ");
  $("graph").replaceChildren(svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `pipeline stages: ${summary}`, id: "pipeline-graph" },
  svg("defs", {}, arrow),
  ...pipeline.edges.map((e) => edge(at[e.from], at[e.to], DONE.includes(states[e.from]), e)),
  ...pipeline.stages.map((s) => node(s, at[s.name]))));
}

function drawTable(pipeline) {
  $("stage-rows").replaceChildren(...pipeline.stages.map((s) => el("tr", {},
    el("th", { scope: "row", text: s.name }),
    el("td", { text: `${s.role} · ${s.base_model}` }),
    el("td", { text: s.depends_on.join(", ") || "–" }),
    el("td", {}, el("span", { class: `badge ${s.state}`, text: s.state })),
    el("td", {}, s.job_id ? el("a", { href: `/jobs/${s.job_id}`, text: s.job_id }) : "–",
      s.job ? ` ${s.job.state}, loss ${fmt(s.job.loss)}` : ""),
    el("td", { text: s.model_version || "–" }),
    el("td", { class: "muted", text: s.reason || "" }))));
}

async function load() {
  try {
    const pipeline = await api("GET", `/api/training/pipelines/${encodeURIComponent(ref)}`);
    $("pipeline-id").textContent = pipeline.id;
    $("pipeline-state").textContent = pipeline.state;
    $("pipeline-state").className = `badge ${pipeline.state}`;
    $("pipeline-progress").textContent = `${pipeline.stages_done} / ${pipeline.stages.length}`;
    $("pipeline-request").textContent = pipeline.request || pipeline.type;
    $("pipeline-reason").textContent = pipeline.reason;
    drawGraph(pipeline);
    drawTable(pipeline);
    if (!SETTLED.includes(pipeline.state)) setTimeout(load, 1500);
  } catch (err) {
    $("pipeline-error").textContent = err.message;
  }
}

load();
