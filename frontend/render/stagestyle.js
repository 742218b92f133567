// How a stage looks, by its name or direction: presentation only. What a stage is called, which
// layers it has and which way it runs all come from the server's plan (state.js planOf); nothing
// here knows a model.

/** Flex weights of the whole-model boxes in a ribbon (per-layer boxes take what their pills need):
 * Update's formula gets the most room, the short words the least. */
const GROW = {
  network: { input: 0.75, weights: 0.75, loss: 1.1, update: 1.45 },
  transformer: { input: 0.8, weights: 1, loss: 1, update: 1.1 },
};

export function boxGrow(stage, kind = "network") {
  return GROW[kind]?.[stage] ?? 1;
}

/** The CSS class of a plan entry's direction: forward boxes and edges in --fwd, backward in --back. */
export function directionClass(entry) {
  return entry?.direction === "backward" ? "backward" : "forward";
}

/** The arrow drawn before a ribbon box (the ribbon reads left to right; the colour tells the direction). */
export const RIBBON_ARROW = "→";

/** Past this many pills in one box they tighten (a transformer's, past two blocks, shrink to dots;
 * their tooltips and the formula's heading still name them): one row must hold them all. */
export const MANY_PILLS = 4;
