"use strict";
// The playground page: builds its controls from the server's schema, keeps the settings in the URL,
// streams frames over a websocket and draws the newest one at most once per animation frame.

const LABELS = {
  problem: "problem", width: "width m", activation: "activation", scaling: "scaling", init: "initialisation",
  log10_scale: "initial scale", optimizer: "optimiser", lr: "step size lr", step_rule: "step rule",
  batch_size: "batch (SGD)", loss: "loss", weight_decay: "weight decay", trainable: "trained layers",
  symmetric: "symmetric init", steps_per_frame: "steps / frame", seed: "seed",
};
const TITLES = {
  log10_scale: "alpha = 10^value multiplies the initial weights",
  step_rule: "scaled: the step is lr * s(m) / max(1, alpha^2), s(m) = m, 1, 1/m for mean-field, NTK, none",
  symmetric: "pair every neuron with a copy of opposite outer weight, so that f = 0 at initialisation",
};
const MAX_POINTS = 4000;   // loss-curve points kept (thinned to every other one when full)

const state = {
  schema: null, settings: null, info: null, frame: null, dirty: false, running: false,
  history: [], neuronRange: 0, ws: null,
  stats: { framesReceived: 0, framesDrawn: 0, lastDrawMs: 0 },
};
window.playground = state;   // read by the browser test

const $ = (id) => document.getElementById(id);

function say(text, ok = false) {
  const el = $("message");
  el.textContent = text;
  el.className = ok ? "message ok" : "message";
}

// ---- controls ---------------------------------------------------------------------------------
function buildControls(schema) {
  const form = $("controls");
  form.innerHTML = "";
  for (const f of schema.fields) {
    const label = document.createElement("label");
    label.title = TITLES[f.name] || "";
    label.append(LABELS[f.name] || f.name);
    let input;
    if (f.choices) {
      input = document.createElement("select");
      for (const c of f.choices) input.add(new Option(c, c));
    } else if (f.name === "trainable") {
      input = document.createElement("span");
      input.className = "checks";
      for (const layer of ["a", "W", "c"]) {
        const box = document.createElement("input");
        box.type = "checkbox"; box.value = layer; box.dataset.layer = layer;
        const wrap = document.createElement("span");
        wrap.append(box, " " + layer);
        input.append(wrap);
      }
    } else if (typeof f.default === "boolean") {
      input = document.createElement("input");
      input.type = "checkbox";
    } else if (f.name === "log10_scale") {
      input = document.createElement("input");
      input.type = "range"; input.min = f.min; input.max = f.max; input.step = 0.1;
    } else {
      input = document.createElement("input");
      input.type = "number"; input.min = f.min; input.max = f.max; input.step = f.integer ? 1 : "any";
    }
    input.id = "field-" + f.name;
    input.dataset.field = f.name;
    label.append(input);
    if (f.name === "log10_scale") {
      const value = document.createElement("span");
      value.className = "value"; value.id = "scale-value";
      label.append(value);
      input.addEventListener("input", () => { showScale(); sendSettingsSoon(); });
    }
    form.append(label);
  }
  form.addEventListener("change", () => sendSettingsSoon());
}

function showScale() {
  const v = +$("field-log10_scale").value;
  $("scale-value").textContent = `alpha = 1e${v.toFixed(1)} = ${Plot.fmt(Math.pow(10, v))}`;
}

function readControls() {
  const out = {};
  for (const f of state.schema.fields) {
    const el = $("field-" + f.name);
    if (f.name === "trainable") out.trainable = [...el.querySelectorAll("input:checked")].map((b) => b.value);
    else if (f.choices) out[f.name] = el.value;
    else if (typeof f.default === "boolean") out[f.name] = el.checked;
    else out[f.name] = el.value === "" ? null : Number(el.value);
  }
  return out;
}

function writeControls(settings) {
  for (const f of state.schema.fields) {
    const el = $("field-" + f.name), v = settings[f.name];
    if (f.name === "trainable") el.querySelectorAll("input").forEach((b) => { b.checked = v.includes(b.value); });
    else if (typeof f.default === "boolean") el.checked = v;
    else el.value = v;
    el.classList.remove("invalid");
  }
  showScale();
}

// ---- the URL holds the settings -----------------------------------------------------------------
function settingsFromURL() {
  const params = new URLSearchParams(location.search), out = {};
  for (const f of state.schema.fields) {
    if (!params.has(f.name)) continue;
    const raw = params.get(f.name);
    if (f.name === "trainable") out.trainable = raw ? raw.split(",") : [];
    else if (f.choices) out[f.name] = raw;
    else if (typeof f.default === "boolean") out[f.name] = raw === "true" ? true : raw === "false" ? false : raw;
    else out[f.name] = raw === "" || isNaN(Number(raw)) ? raw : Number(raw);
  }
  return out;
}

function writeURL(settings) {
  const params = new URLSearchParams();
  for (const f of state.schema.fields) {
    const v = settings[f.name], d = f.default;
    if (JSON.stringify(v) === JSON.stringify(d)) continue;
    params.set(f.name, Array.isArray(v) ? v.join(",") : String(v));
  }
  const query = params.toString();
  history.replaceState(null, "", query ? "?" + query : location.pathname);
}

// ---- the websocket ----------------------------------------------------------------------------
function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
}

let pending = null;
function sendSettingsSoon() {
  clearTimeout(pending);
  pending = setTimeout(() => {
    const resume = state.running;
    send({ type: "settings", settings: readControls() });
    if (resume) send({ type: "start" });
  }, 150);
}

function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
  ws.binaryType = "arraybuffer";
  state.ws = ws;
  ws.onopen = () => { $("status").textContent = "connected"; };
  ws.onclose = () => { $("status").textContent = "disconnected: reload the page"; state.running = false; updateButtons(); };
  ws.onmessage = (msg) => {
    if (msg.data instanceof ArrayBuffer) return download(new Blob([msg.data], { type: "application/x-hdf5" }), "twolayer-playground.h5");
    const m = JSON.parse(msg.data);
    ({ schema: onSchema, settings: onSettings, frame: onFrame, state: onState, diverged: onDiverged, error: onError })[m.event](m);
  };
}

function onSchema(m) {
  state.schema = m;
  buildControls(m);
  const fromURL = settingsFromURL();
  if (Object.keys(fromURL).length) send({ type: "settings", settings: fromURL });
}

function onSettings(m) {
  state.settings = m.settings;
  state.info = m;
  state.history = [];
  state.neuronRange = 0;
  writeControls(m.settings);
  writeURL(m.settings);
  const rule = m.settings.step_rule === "scaled" ? " = lr s(m) / max(1, alpha^2)" : " = lr";
  say(`optimiser step ${Plot.fmt(m.step_size)}${rule}`, true);
}

function onFrame(m) {
  state.frame = m;
  state.stats.framesReceived++;
  const h = state.history;
  if (h.length >= MAX_POINTS) state.history = h.filter((_, i) => i % 2 === 0);
  state.history.push({ t: m.time, train: m.train_loss, test: m.test_loss, ...m.diagnostics });
  const el = $("train-loss");
  el.dataset.value = m.train_loss === null ? "" : String(m.train_loss);
  el.textContent = `step ${m.step}, train ${Plot.fmt(m.train_loss)}` + (m.test_loss === null ? "" : `, test ${Plot.fmt(m.test_loss)}`);
  state.dirty = true;
}

function onState(m) {
  state.running = m.running;
  updateButtons();
}

function onDiverged(m) {
  state.running = false;
  updateButtons();
  say(m.message + " (lower the step size and press Reset)");
}

function onError(m) {
  say(m.message);
  const el = m.field && $("field-" + m.field);
  if (el) el.classList.add("invalid");
}

function updateButtons() {
  $("start").disabled = state.running;
  $("pause").disabled = !state.running;
  $("step").disabled = state.running;
}

// ---- downloads --------------------------------------------------------------------------------
function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

function panelsPNG() {
  const ids = ["function", "neurons", "loss", "diagnostics"], gap = 10, title = 24;
  const cs = ids.map((id) => $(id));
  const out = document.createElement("canvas");
  out.width = cs[0].width + cs[1].width + 3 * gap;
  out.height = title + cs[0].height + cs[2].height + 3 * gap;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = "#222"; ctx.font = "13px sans-serif"; ctx.textBaseline = "top";
  const s = state.settings || {};
  ctx.fillText(`${s.problem}, m = ${s.width}, ${s.activation}, ${s.scaling}, alpha = 1e${s.log10_scale}, ${s.optimizer}, ` +
               `lr = ${s.lr}` + (state.frame ? `, step ${state.frame.step}` : ""), gap, 6);
  ctx.drawImage(cs[0], gap, title + gap);
  ctx.drawImage(cs[1], 2 * gap + cs[0].width, title + gap);
  ctx.drawImage(cs[2], gap, title + 2 * gap + cs[0].height);
  ctx.drawImage(cs[3], 2 * gap + cs[2].width, title + 2 * gap + cs[0].height);
  out.toBlob((blob) => download(blob, "twolayer-playground.png"));
}

// ---- drawing ----------------------------------------------------------------------------------
const finite = (v) => v !== null && isFinite(v);
const labelColour = (v, vmax) => { const c = Plot.diverging(v / vmax); return `rgb(${c})`; };

function drawFunction(frame, info) {
  const ctx = $("function").getContext("2d"), f = frame.function, data = info.data;
  // colour range: the 90th percentile of |label|, so that most of the data shows its colour
  const mags = data.labels.map(Math.abs).sort((p, q) => p - q);
  const vmax = Math.max(1e-12, mags[Math.floor(0.9 * (mags.length - 1))]);
  if (info.dim === 2) {
    const g = f.x, h = (g[g.length - 1] - g[0]) / (g.length - 1), r = [g[0] - h / 2, g[g.length - 1] + h / 2];
    const map = Plot.axes($("function").getContext("2d"), r, r, { xlabel: "x1", ylabel: "x2" });
    Plot.heat(ctx, map, g.length, f.values, vmax);
    Plot.points(ctx, map, data.x, data.y, (i) => labelColour(data.labels[i], vmax), 3, "#333");
    $("function-note").textContent = "colour: f(x), dots: training data";
  } else {
    const ys = f.values.filter(finite).concat(data.labels);
    const lo = Math.min(...ys), hi = Math.max(...ys), pad = 0.08 * (hi - lo || 1);
    const map = Plot.axes(ctx, [f.x[0], f.x[f.x.length - 1]], [lo - pad, hi + pad], { xlabel: "x", ylabel: "f(x)" });
    Plot.line(ctx, map, f.x, f.values, "#1f4e9c", 2);
    Plot.points(ctx, map, data.x, data.labels, () => "#d35400", 3.5, "#333");
    $("function-note").textContent = "line: f, dots: training data";
  }
}

function drawNeurons(frame, info) {
  const ctx = $("neurons").getContext("2d"), n = frame.neurons;
  const colour = (i) => (n.sign[i] >= 0 ? "rgba(178,24,43,0.65)" : "rgba(33,102,172,0.65)");
  let ext = 1e-300;
  for (let i = 0; i < n.x.length; i++) {
    if (info.dim === 2 && finite(n.x[i])) ext = Math.max(ext, Math.abs(n.x[i]));
    if (finite(n.y[i])) ext = Math.max(ext, Math.abs(n.y[i]));
  }
  // the view follows the neurons: it grows at once and shrinks slowly, so motion stays visible
  state.neuronRange = Math.max(1.15 * ext, 0.97 * state.neuronRange);
  const r = state.neuronRange;
  if (info.dim === 2) {
    const map = Plot.axes(ctx, [-r, r], [-r, r], { xlabel: "|a_j| w_j1", ylabel: "|a_j| w_j2" });
    Plot.points(ctx, map, n.x, n.y, colour, 2.2);
    $("neuron-note").textContent = "red: a_j > 0, blue: a_j < 0";
  } else {
    const fx = frame.function.x, map = Plot.axes(ctx, [fx[0], fx[fx.length - 1]], [-r, r],
      { xlabel: "kink -c_j / w_j", ylabel: "sign(a_j) |(w_j, c_j)|" });
    Plot.points(ctx, map, n.x, n.y, colour, 2.5);
    $("neuron-note").textContent = "orientation / signed norm";
  }
}

function logRange(values) {
  const logs = values.filter((v) => finite(v) && v > 0).map(Math.log10);
  if (!logs.length) return [-1, 1];
  let lo = Math.min(...logs), hi = Math.max(...logs);
  if (hi - lo < 1) { lo -= 0.5; hi += 0.5; }
  return [Math.floor(lo), Math.ceil(hi)];
}

const log10OrNull = (v) => (finite(v) && v > 0 ? Math.log10(v) : null);

function drawSeries(canvas, keys, colours, ylabel) {
  const ctx = canvas.getContext("2d"), h = state.history, t = h.map((p) => p.t);
  const yr = logRange(keys.flatMap((k) => h.map((p) => p[k])));
  const tmax = Math.max(1e-12, t[t.length - 1] || 0);
  const map = Plot.axes(ctx, [0, tmax], yr, { logy: true, xlabel: "time t = step size x steps", ylabel });
  keys.forEach((k, i) => Plot.line(ctx, map, t, h.map((p) => log10OrNull(p[k])), colours[i], 1.8));
  ctx.font = "11px sans-serif"; ctx.textAlign = "right"; ctx.textBaseline = "top";
  const right = map.box[0] + map.box[2] - 6, texts = keys.map((k) => {
    const last = h.length ? h[h.length - 1][k] : null;
    return `${k.replaceAll("_", " ")} ${Plot.fmt(last)}`;
  });
  const wide = Math.max(...texts.map((t) => ctx.measureText(t).width));
  ctx.fillStyle = "rgba(255,255,255,0.85)";            // legend box, so the curves do not hide it
  ctx.fillRect(right - wide - 4, map.box[1] + 2, wide + 8, 14 * keys.length + 4);
  texts.forEach((t, i) => { ctx.fillStyle = colours[i]; ctx.fillText(t, right, map.box[1] + 4 + 14 * i); });
}

function draw() {
  requestAnimationFrame(draw);
  if (!state.dirty || !state.frame || !state.info) return;
  const start = performance.now();
  drawFunction(state.frame, state.info);
  drawNeurons(state.frame, state.info);
  drawSeries($("loss"), ["train", "test"], ["#1f4e9c", "#d35400"], "loss");
  drawSeries($("diagnostics"), ["relative_weight_change", "stable_rank_W", "balance_linf"],
             ["#6a1b9a", "#2e7d32", "#8d6e63"], "value");
  state.dirty = false;
  state.stats.framesDrawn++;
  state.stats.lastDrawMs = performance.now() - start;
}

$("start").onclick = () => send({ type: "start" });
$("pause").onclick = () => send({ type: "pause" });
$("step").onclick = () => send({ type: "step" });
$("reset").onclick = () => { say(""); send({ type: "reset" }); };
$("download-h5").onclick = () => send({ type: "download" });
$("download-png").onclick = panelsPNG;
updateButtons();
connect();
requestAnimationFrame(draw);
