"use strict";
// Small canvas plotting helpers for the playground: axes with ticks, lines, points, a heat map.
const Plot = (() => {
  const MARGIN = { l: 58, r: 14, t: 12, b: 36 };

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e4)) return v.toExponential(2);
    return (+v.toPrecision(3)).toString();
  }

  function ticks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => span / s <= count) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * span; v += step) out.push(Math.abs(v) < 1e-12 * span ? 0 : v);
    return out;
  }

  // Draws the axes of a panel and returns the data -> pixel maps. xr, yr: [lo, hi] (in log10 units
  // for opts.logy, whose tick labels then read 10^k).
  function axes(ctx, xr, yr, opts = {}) {
    const W = ctx.canvas.width, H = ctx.canvas.height;
    const x0 = MARGIN.l, x1 = W - MARGIN.r, y0 = H - MARGIN.b, y1 = MARGIN.t;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, W, H);
    const X = (x) => x0 + ((x - xr[0]) / (xr[1] - xr[0])) * (x1 - x0);
    const Y = (y) => y0 - ((y - yr[0]) / (yr[1] - yr[0])) * (y0 - y1);
    ctx.strokeStyle = "#e4e4e4";
    ctx.fillStyle = "#444";
    ctx.font = "11px sans-serif";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of ticks(xr[0], xr[1], 6)) {
      ctx.beginPath(); ctx.moveTo(X(t), y0); ctx.lineTo(X(t), y1); ctx.stroke();
      ctx.fillText(fmt(t), X(t), y0 + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const yt = opts.logy ? ticks(Math.ceil(yr[0]), Math.floor(yr[1]), 6).filter(Number.isInteger) : ticks(yr[0], yr[1], 5);
    for (const t of yt) {
      ctx.beginPath(); ctx.moveTo(x0, Y(t)); ctx.lineTo(x1, Y(t)); ctx.stroke();
      ctx.fillText(opts.logy ? "1e" + t : fmt(t), x0 - 4, Y(t));
    }
    ctx.strokeStyle = "#888";
    ctx.strokeRect(x0, y1, x1 - x0, y0 - y1);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    if (opts.xlabel) ctx.fillText(opts.xlabel, (x0 + x1) / 2, H - 2);
    if (opts.ylabel) {
      ctx.save(); ctx.translate(12, (y0 + y1) / 2); ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = "middle"; ctx.fillText(opts.ylabel, 0, 0); ctx.restore();
    }
    return { X, Y, box: [x0, y1, x1 - x0, y0 - y1] };
  }

  function clip(ctx, map) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(...map.box);
    ctx.clip();
  }

  function line(ctx, map, xs, ys, color, width = 1.5, dash = []) {
    clip(ctx, map);
    ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === null || !isFinite(ys[i]) || xs[i] === null) { pen = false; continue; }
      if (pen) ctx.lineTo(map.X(xs[i]), map.Y(ys[i])); else ctx.moveTo(map.X(xs[i]), map.Y(ys[i]));
      pen = true;
    }
    ctx.stroke();
    ctx.restore();
  }

  function points(ctx, map, xs, ys, colorOf, radius = 2.5, outline = null) {
    clip(ctx, map);
    for (let i = 0; i < xs.length; i++) {
      if (xs[i] === null || ys[i] === null) continue;
      ctx.beginPath();
      ctx.arc(map.X(xs[i]), map.Y(ys[i]), radius, 0, 2 * Math.PI);
      ctx.fillStyle = colorOf(i);
      ctx.fill();
      if (outline) { ctx.strokeStyle = outline; ctx.lineWidth = 0.8; ctx.stroke(); }
    }
    ctx.restore();
  }

  // t in [-1, 1] -> a blue (negative) / white / red (positive) colour.
  function diverging(t) {
    t = Math.max(-1, Math.min(1, t));
    const s = Math.abs(t), far = t >= 0 ? [178, 24, 43] : [33, 102, 172];
    return [0, 1, 2].map((k) => Math.round(255 + (far[k] - 255) * s));
  }

  const offscreen = document.createElement("canvas");

  // values[i * n + j] is the function at (g[i], g[j]); drawn over the axes' box, smoothed.
  function heat(ctx, map, n, values, vmax) {
    offscreen.width = n; offscreen.height = n;
    const octx = offscreen.getContext("2d"), img = octx.createImageData(n, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = values[i * n + j], p = 4 * ((n - 1 - j) * n + i);
        const c = v === null ? [120, 120, 120] : diverging(v / vmax);
        img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(offscreen, ...map.box);
  }

  return { axes, line, points, heat, diverging, fmt };
})();
