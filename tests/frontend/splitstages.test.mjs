// A split run's plan (engine/distributed/split_story.py) in the ribbon: tp's all-reduce runs both ways, so the
// forward ones get a box before the loss and the backward ones a box after the gradients; a collective
// stage's values draw as each rank's piece before and the result after.
import "./served.mjs"; // first: the page's schema, as the server serves it
import { test } from "node:test";
import assert from "node:assert/strict";
import { readPlan } from "../../frontend/state.js";
import { ribbonBoxes } from "../../frontend/views/ribbon.js";

const e = (stage, direction, part = "", comm = null) => ({ stage, layer: 0, direction, title: part ? `${stage} · ${part}` : stage,
  subtitle: "", stage_title: stage, part, short: part, shape: "", comm });
const AR = { op: "allreduce", group: "tp", bytes: 8192 };

test("a tp plan's all-reduces: a forward box before the loss, a backward box after the gradients", () => {
  const plan = readPlan({ plan: [e("input", "forward"), e("linear", "forward", "attn 1"), e("allreduce", "forward", "attention output", AR),
    e("loss", "forward"), e("gradients", "backward", "attn 1"), e("allreduce", "backward", "into attention", AR), e("update", "backward")] });
  assert.deepEqual(plan[2].comm, AR);
  assert.equal(plan[0].comm, null);
  const boxes = ribbonBoxes(plan);
  assert.deepEqual(boxes.map((b) => [b.name, b.entries[0].direction]), [["input", "forward"], ["linear", "forward"],
    ["allreduce", "forward"], ["loss", "forward"], ["gradients", "backward"], ["allreduce", "backward"], ["update", "backward"]]);
});
