// Who holds what: blocks (columns) × ranks (rows); in each cell three bars, the share of that block's
// weights (W), gradients (G) and optimizer state (O) the rank keeps, filled to the engine's number.
// Drawn the same for a live split run (state.gpt.parallel.holds) and for the Scale page's settings
// (the calculator's `holds`). A share the engine sends as null (no optimizer state) draws no bar.

const KINDS = [["params", "W", "weights"], ["grads", "G", "gradients"], ["optimizer", "O", "optimizer state"]];

function pct(v) {
  return `${Math.round(100 * v)} %`;
}

/** `grid`: {blocks: [names], rows: [{label, cells: [{params, grads, optimizer}]}]}; `note`: a line under it. */
export function drawHolds(table, grid, note = "") {
  table.classList.add("holds");
  table.replaceChildren();
  if (!grid) return;
  const cap = document.createElement("caption");
  cap.textContent = note;
  const head = document.createElement("tr");
  head.appendChild(document.createElement("th"));
  for (const b of grid.blocks) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = b;
    head.appendChild(th);
  }
  const thead = document.createElement("thead");
  thead.appendChild(head);
  const body = document.createElement("tbody");
  for (const row of grid.rows) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = row.label;
    tr.appendChild(th);
    row.cells.forEach((c, i) => {
      const td = document.createElement("td");
      const words = [];
      for (const [key, tag, name] of KINDS) {
        const v = c?.[key];
        const bar = document.createElement("span");
        bar.className = `hd-bar hd-${key}`;
        bar.dataset.tag = tag;
        if (typeof v === "number") {
          const fill = document.createElement("i");
          fill.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
          bar.appendChild(fill);
          bar.dataset.share = String(v);
          words.push(`${pct(v)} of its ${name}`);
        } else {
          bar.classList.add("none");
        }
        td.appendChild(bar);
      }
      td.title = `${row.label} holds ${words.join(", ")} of ${grid.blocks[i]}`;
      td.className = c && c.params === 0 && !c.grads && !c.optimizer ? "empty" : "";
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
  table.append(cap, thead, body);
}

/** The legend: what W, G and O are. */
export function holdsLegend() {
  const p = document.createElement("p");
  p.className = "hd-legend";
  for (const [key, tag, name] of KINDS) {
    const s = document.createElement("span");
    s.className = `hd-key hd-${key}`;
    s.textContent = `${tag} ${name}`;
    p.appendChild(s);
  }
  return p;
}
