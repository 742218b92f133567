// The Network page's data panel: which points (a generated set, noise, the test share, a new
// seed), your own points (drawn on the output plot or a CSV file, and back out as CSV), and which
// input features the network sees. Every change except drawing restarts the run from its seed.

import { datasetPoints, toCsv } from "../data.js";
import { parseNumber } from "./netinspect.js";
import { moreBelow } from "../render/morebelow.js";
import { el, onPress, sameAsLast } from "../render/dom.js";

export const NET_DATASETS = [
  ["circle", "circle"],
  ["xor", "XOR"],
  ["gauss", "two gaussians"],
  ["spiral", "spiral"],
  ["moons", "two moons"],
  ["three", "three classes"],
  ["plane", "plane (regression)"],
  ["bumps", "bumps (regression)"],
];

export const FEATURES = [
  ["x1", "x₁"],
  ["x2", "x₂"],
  ["x1sq", "x₁²"],
  ["x2sq", "x₂²"],
  ["x1x2", "x₁·x₂"],
  ["sin_x1", "sin x₁"],
  ["sin_x2", "sin x₂"],
];

/** The feature list after toggling `key`, in the canonical order; null if none would be left. */
export function toggleFeature(current, key) {
  const on = new Set(current ?? ["x1", "x2"]);
  if (on.has(key)) on.delete(key);
  else on.add(key);
  const list = FEATURES.map(([k]) => k).filter((k) => on.has(k));
  return list.length ? list : null;
}

export function NetData(root, { configure, sendData, toast }) {
  root.classList.add("netdata");
  root.innerHTML = `
    <div class="panel-head"><span class="panel-title">Data</span><span class="nd-count"></span></div>
    <div class="nd-row"><select id="nd-dataset" name="dataset" aria-label="dataset"></select>
      <button type="button" id="nd-regen" class="btn" title="Regenerate: new random points (a new seed)" aria-label="regenerate the points">↻</button></div>
    <div class="nd-row">
      <label class="nd-slider">noise <output id="nd-noise-out"></output><input id="nd-noise" type="range" min="0" max="1" step="0.05"></label>
      <label class="nd-slider" title="share of the points held out as the test set">test <output id="nd-split-out"></output><input id="nd-split" type="range" min="0.1" max="0.9" step="0.1"></label>
    </div>
    <div class="nd-draw" title="Click the output plot to add a point of this class"><span class="nd-draw-title">Draw</span><span class="nd-pick"></span></div>
    <div class="nd-files"><span class="nd-draw-title">CSV</span>
      <label class="btn" id="nd-upload-label" title="Upload a CSV file: x1,x2,label per line">⬆ Upload<input id="nd-upload" type="file" accept=".csv,text/csv,text/plain"></label>
      <button type="button" id="nd-export" class="btn" title="Download these points as a CSV file">⬇ Export</button>
    </div>
    <div id="nd-error" class="nd-error" role="alert" hidden></div>
    <div class="panel-title nd-feat-title">Features</div>
    <div class="nd-features"></div>`;
  moreBelow(root); // a short panel (1024×768) scrolls its features, and says so
  const $ = (sel) => root.querySelector(sel);
  const dsSel = $("#nd-dataset");
  for (const [v, t] of NET_DATASETS) dsSel.add(new Option(t, v));
  const custom = new Option("your own points", "custom");
  custom.disabled = true;
  dsSel.add(custom);
  const noise = $("#nd-noise");
  const split = $("#nd-split");
  const errorEl = $("#nd-error");
  const pickEl = $(".nd-pick");
  const featEl = $(".nd-features");
  let state = null;
  let pick = { cls: 0, value: 0.5 };

  const commit = (input, key, v) => {
    input.blur(); // hand the keyboard back to the shortcuts
    configure({ [key]: v });
  };
  dsSel.addEventListener("change", () => commit(dsSel, "dataset", dsSel.value));
  noise.addEventListener("input", () => ($("#nd-noise-out").textContent = Number(noise.value).toFixed(2)));
  noise.addEventListener("change", () => commit(noise, "noise", Number(noise.value)));
  split.addEventListener("input", () => ($("#nd-split-out").textContent = `${Math.round(split.value * 100)}%`));
  split.addEventListener("change", () => commit(split, "test_fraction", Number(split.value)));
  onPress($("#nd-regen"), () => configure({ seed: Math.floor(Math.random() * 1e6) }));
  $("#nd-upload").addEventListener("change", async (ev) => {
    const file = ev.target.files?.[0];
    ev.target.value = ""; // the same file again must fire `change` again
    ev.target.blur();
    if (!file) return;
    if (file.size > 900_000) return toast(`${file.name} is too large (the limit is 5000 points)`);
    sendData({ type: "data", csv: await file.text() });
  });
  onPress($("#nd-export"), () => {
    const rows = datasetPoints(state?.dataset);
    if (!rows.length) return toast("no points to export yet");
    const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: "text/csv" }));
    const a = el("a", { href: url, download: `flowscope-${state.session?.config?.dataset ?? "data"}.csv` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });

  const featureButtons = FEATURES.map(([key, label]) => {
    const b = el("button", { type: "button", class: "chip-toggle", "data-feature": key, "aria-pressed": "false" }, label);
    onPress(b, () => {
      const next = toggleFeature(state?.session?.config?.features, key);
      if (!next) return toast("At least one input feature must stay on.");
      configure({ features: next });
    });
    featEl.appendChild(b);
    return b;
  });

  const samePickKey = sameAsLast();
  function buildPick(regression) {
    const key = String(regression);
    if (samePickKey(key)) return;
    pickEl.replaceChildren();
    if (regression) {
      const input = el("input", { type: "text", inputmode: "decimal", id: "nd-value", "aria-label": "value of a drawn point", value: String(pick.value) });
      input.addEventListener("change", () => {
        const v = parseNumber(input.value);
        if (v === null) toast(`“${input.value}” is not a number`);
        else pick = { ...pick, value: v };
        input.value = String(pick.value);
        input.blur();
      });
      pickEl.append(el("span", {}, "value "), input);
      return;
    }
    ["● 0", "■ 1", "▲ 2"].forEach((text, c) => {
      const b = el("button", { type: "button", class: `chip-toggle cls c${c}`, "data-class": c, "aria-pressed": String(pick.cls === c), title: `draw points of class ${c}` }, text);
      onPress(b, () => {
        pick = { ...pick, cls: c };
        for (const o of pickEl.querySelectorAll("button")) o.setAttribute("aria-pressed", String(o === b));
      });
      pickEl.appendChild(b);
    });
  }

  const sameLastKey = sameAsLast();
  function update(s) {
    state = s;
    const cfg = s.session?.config ?? {};
    const ds = s.dataset;
    const viewer = s.session?.role === "viewer";
    const regression = ds?.task === "regression";
    buildPick(regression);
    const key = JSON.stringify([cfg.dataset, cfg.noise, cfg.test_fraction, cfg.features, viewer, s.dataError, ds?.x?.length, ds?.test_x?.length]);
    if (sameLastKey(key)) return;
    if (document.activeElement !== dsSel) dsSel.value = cfg.dataset ?? "circle";
    custom.hidden = cfg.dataset !== "custom";
    if (document.activeElement !== noise) noise.value = cfg.noise ?? 0.1;
    if (document.activeElement !== split) split.value = cfg.test_fraction ?? 0.5;
    $("#nd-noise-out").textContent = Number(noise.value).toFixed(2);
    $("#nd-split-out").textContent = `${Math.round(split.value * 100)}%`;
    const on = new Set(cfg.features ?? ["x1", "x2"]);
    for (const b of featureButtons) b.setAttribute("aria-pressed", String(on.has(b.dataset.feature)));
    for (const c of root.querySelectorAll("button, select, input")) c.disabled = viewer;
    $("#nd-upload-label").classList.toggle("disabled", viewer);
    const nTrain = ds?.x?.length ?? 0;
    const nTest = ds?.test_x?.length ?? 0;
    $(".nd-count").textContent = ds ? `${nTrain} train · ${nTest} test` : "";
    root.dataset.points = String(nTrain + nTest);
    errorEl.hidden = !s.dataError;
    errorEl.textContent = s.dataError ?? "";
  }

  return { update, pick: () => pick };
}
