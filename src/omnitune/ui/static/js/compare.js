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
let last = null; // the prompt asked last and, for media sessions, its output_id
const $ = (id) => document.getElementById(id);
const SIDES = ["base", "fine_tuned"];
const fail = (err) => { $("try-error").textContent = err.field ? `${err.field}: ${err.message}` : err.message; };

$("session-start").addEventListener("click", async () => {
  $("try-error").textContent = "";
  $("session-status").textContent = "loading both models…";
  try {
    session = await api("POST", "/api/training/test/deploy", { model_id: left.value });
    $("session-status").textContent = `session ${session.session_id} (${session.modality}): ${session.model} vs ${session.base_model}`;
    $("media-options").hidden = session.modality === "text";
    $("music-options").hidden = session.modality !== "music";
    $("video-options").hidden = session.modality !== "video";
    $("try-form").hidden = false;
  } catch (err) { $("session-status").textContent = ""; fail(err); }
});

// A media side: the image, or an audio or video player for its file, with the seed and the side's latency.
function showMedia(side, output) {
  const out = output[side];
  const label = `${side === "base" ? "base" : "fine-tuned"} output for “${output.prompt}”`;
  const player = out.media_type.startsWith("video/") ? "video" : "audio";
  const media = out.media_type.startsWith("image/")
    ? el("img", { src: out.url, alt: label, id: `media-${side}-file` })
    : el(player, { src: out.url, controls: "", preload: "metadata", "aria-label": label, id: `media-${side}-file` });
  const link = el("a", { href: out.url, download: "", text: "download" });
  const start = out.first_frame ? ` · first frame: ${out.first_frame}` : "";
  $(`media-${side}`).replaceChildren(media, el("figcaption", { class: "muted" }, `seed ${output.seed}${start} · `, link));
  $(`media-${side}`).hidden = false;
  $(`answer-${side}`).hidden = true;
  $(`latency-${side}`).textContent = `${out.latency_s.toFixed(2)} s`;
}

// An uploaded first frame as a data: URL (the API accepts base64 PNG or JPEG, with or without the prefix).
function dataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject({ field: "image", message: `could not read ${file.name}` });
    reader.readAsDataURL(file);
  });
}

function showText(side, answers) {
  $(`answer-${side}`).textContent = answers[side];
  $(`answer-${side}`).hidden = false;
  $(`media-${side}`).hidden = true;
  $(`latency-${side}`).textContent = "";
}

$("try-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("try-error").textContent = "";
  const prompt = $("try-prompt").value;
  const body = { session_id: session.session_id, prompt };
  if (session.modality !== "text") body.seed = Number($("try-seed").value || 0);
  if (session.modality === "music") body.seconds = Number($("try-seconds").value || 2);
  $("try-run").disabled = true;
  try {
    const frame = $("try-image").files[0];
    if (session.modality === "video" && frame) body.image = await dataUrl(frame);
    const answers = await api("POST", "/api/training/test/run", body);
    last = { prompt, output_id: answers.output_id || null };
    for (const side of SIDES) (session.modality === "text" ? showText : showMedia)(side, answers);
    for (const side of SIDES) {
      $(`rate-${side}`).disabled = false;
      $(`output-${side}`).classList.remove("chosen");
    }
    $("try-answers").hidden = false;
  } catch (err) { fail(err); } finally { $("try-run").disabled = false; }
});

for (const side of SIDES) {
  $(`rate-${side}`).addEventListener("click", async () => {
    const body = { session_id: session.session_id, prompt: last.prompt, chosen: side };
    if (last.output_id) body.output_id = last.output_id;
    try {
      const { preference_pairs: pairs } = await api("POST", "/api/training/test/rate", body);
      const kind = session.modality === "text" ? "" : "media ";
      $("session-status").textContent = `thanks: ${pairs} ${kind}preference pair${pairs === 1 ? "" : "s"} saved`;
      for (const other of SIDES) $(`rate-${other}`).disabled = true; // one rating per output
      $(`output-${side}`).classList.add("chosen");
    } catch (err) { fail(err); }
  });
}
