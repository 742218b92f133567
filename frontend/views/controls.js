// The stepping buttons, each labelled with its key, and the key → command table app.js uses.

const BUTTONS = [
  { id: "back", label: "← Back", key: "←", title: "Step back one stage (ArrowLeft)" },
  { id: "stage", label: "Stage →", key: "N", title: "Next stage (ArrowRight or N)" },
  { id: "step", label: "Step", key: "S", title: "One whole training step: one batch (S)" },
  { id: "epoch", label: "Epoch", key: "E", title: "One epoch: a pass over the whole training set (E)" },
  { id: "play", label: "Play", key: "Space", title: "Play / pause continuous training (Space)" },
  { id: "reset", label: "Reset", key: "R", title: "Back to the seeded start (R)" },
];

/** The page's commands, one per button, in the bar's order: the one list (locks.js, layout.js read it). */
export const COMMANDS = BUTTONS.map((b) => b.id);

/** Which command a key press means, or null. Modified keys belong to the browser, but Ctrl+Z (⌘Z):
 * undo the last change of settings. */
export function keyCommand(ev) {
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && !ev.shiftKey && (ev.key === "z" || ev.key === "Z")) return "undo";
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return null;
  switch (ev.key) {
    case "ArrowRight":
    case "n":
    case "N":
      return "stage";
    case "ArrowLeft":
      return "back";
    case "s":
    case "S":
      return "step";
    case "a":
    case "A":
      return "sample";
    case "e":
    case "E":
      return "epoch";
    case " ":
    case "Spacebar":
      return "play";
    case "r":
    case "R":
      return "reset";
    default:
      return null;
  }
}

/** The message a command sends; play toggles on what the server last said. */
export function commandMessage(name, playing) {
  switch (name) {
    case "stage":
      return { type: "step", unit: "stage" };
    case "back":
      return { type: "back" };
    case "step":
      return { type: "step", unit: "step", count: 1 };
    case "sample":
      return { type: "step", unit: "sample", count: 1 };
    case "epoch":
      return { type: "step", unit: "epoch", count: 1 };
    case "play":
      return playing ? { type: "pause" } : { type: "play" };
    case "reset":
      return { type: "reset" };
    case "undo":
      return { type: "undo" };
    default:
      return null;
  }
}

/** Which commands a model's page offers: epochs matter where the training set has many batches.
 * "sample" (key A: one SGD step on a single example) has no button: the Network page's bar is full,
 * so its help line names the key. */
export function commandsFor(model) {
  return [...BUTTONS.map((b) => b.id), "sample", "undo"].filter((id) => !["epoch", "sample"].includes(id) || model === "mlp");
}

export function Controls(root, { command, model }) {
  root.classList.add("controls");
  const buttons = {};
  const offered = commandsFor(model);
  for (const b of BUTTONS.filter((x) => offered.includes(x.id))) {
    const el = document.createElement("button");
    el.type = "button";
    el.id = b.id;
    el.title = b.title;
    el.disabled = true; // until the session is here (update): a button that looks active takes its key
    el.innerHTML = `<span class="label"></span> <kbd></kbd>`;
    el.querySelector(".label").textContent = b.label;
    el.querySelector("kbd").textContent = b.id === "stage" ? "→ / N" : b.key;
    el.addEventListener("click", () => {
      // Keep focus off the button: a focused button would also "click" on Space, toggling twice.
      el.blur();
      command(b.id);
    });
    root.appendChild(el);
    buttons[b.id] = el;
  }
  buttons.back.querySelector("kbd").remove(); // the arrow in "← Back" already is the key
  buttons.play.setAttribute("aria-pressed", "false");
  // Undo (Ctrl+Z): shown while the server keeps the run as it was before the last change of settings
  // (any: a rate, a shape, new data, a reset); it brings that run back whole, one change at a time.
  const undo = document.createElement("button");
  undo.type = "button";
  undo.id = "undo";
  undo.hidden = true;
  undo.style.display = "none";
  undo.addEventListener("click", () => {
    undo.blur();
    command("undo");
  });
  root.appendChild(undo);
  let last = "";

  function update(state) {
    const locked = !state.session || state.session.role === "viewer" || state.conn !== "open";
    const key = `${locked}|${state.playing}|${state.undo}`;
    if (key === last) return;
    last = key;
    undo.hidden = locked || !Number.isInteger(state.undo);
    undo.style.display = undo.hidden ? "none" : ""; // the bar's button style would show it anyway
    undo.textContent = `↶ Undo (back to step ${state.undo})`;
    undo.title = `Undo the last change of settings (Ctrl+Z): the run as it was then, whole — step ${state.undo}, its weights, optimizer and loss chart`;
    for (const el of Object.values(buttons)) el.disabled = locked;
    buttons.play.setAttribute("aria-pressed", String(!!state.playing));
    const label = buttons.play.querySelector(".label");
    label.textContent = state.playing ? "❚❚ Pause" : "▶ Play";
    label.dataset.other = state.playing ? "▶ Play" : "❚❚ Pause"; // its room is kept (styles/controls.css)
    buttons.play.classList.toggle("playing", !!state.playing);
  }

  return { update };
}
