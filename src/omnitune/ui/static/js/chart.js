// A minimal line chart on a canvas: one series, axes labelled with min/max, redrawn on each point.
export class LineChart {
  constructor(canvas, { color = "#4fd1c5", label = "" } = {}) {
    this.canvas = canvas;
    this.color = color;
    this.label = label;
    this.points = [];
  }

  add(x, y) {
    if (typeof y !== "number" || !Number.isFinite(y)) return;
    this.points.push([x, y]);
    this.canvas.dataset.points = String(this.points.length);
    this.draw();
  }

  draw() {
    const { canvas } = this;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.clearRect(0, 0, width, height);
    if (!this.points.length) return;
    const pad = { left: 56, right: 12, top: 12, bottom: 24 };
    const xs = this.points.map((p) => p[0]), ys = this.points.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (y0 === y1) { y0 -= Math.abs(y0) * 0.05 || 1; y1 += Math.abs(y1) * 0.05 || 1; }
    const sx = (x) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
    const sy = (y) => pad.top + (1 - (y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
    ctx.fillStyle = "#9aa3b2";
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(y1.toPrecision(4), 4, pad.top + 8);
    ctx.fillText(y0.toPrecision(4), 4, height - pad.bottom);
    ctx.fillText(`step ${x1}`, width - pad.right - 48, height - 6);
    ctx.strokeStyle = "#2a2f3a";
    ctx.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
    ctx.strokeStyle = this.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    this.points.forEach(([x, y], i) => (i ? ctx.lineTo(sx(x), sy(y)) : ctx.moveTo(sx(x), sy(y))));
    ctx.stroke();
    ctx.fillStyle = this.color;
    for (const [x, y] of this.points) ctx.fillRect(sx(x) - 2, sy(y) - 2, 4, 4);
  }
}
