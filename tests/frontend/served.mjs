// What the server serves, read from the engine itself rather than written out by hand: GET
// /api/schema (which frontend/schema.js fetches) and a model's plan as its `session` message carries
// it. Import this module first: it answers the page's fetch of /api/schema before schema.js runs.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const VENV = join(ROOT, ".venv", "bin", "python");
const PYTHON = process.env.FLOWSCOPE_PYTHON ?? (existsSync(VENV) ? VENV : "python3");

function python(code) {
  const out = execFileSync(PYTHON, ["-c", `import json\n${code}`], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out);
}

/** GET /api/schema as the server answers it (server/app.py → protocol.json_schema). */
export const SERVED_SCHEMA = python("from flowscope.server.protocol import json_schema\nprint(json.dumps(json_schema()))");

/** The plans of `model` built from each of `configs`, as their `session` messages send them
 * (server/messages.py plan_items): one engine run for them all. */
export function servedPlans(model, configs) {
  return python(`from flowscope.engine.trainers import make_trainer
from flowscope.server.messages import plan_items
from flowscope.server.configs import validate_config
out = []
for config in json.loads(${JSON.stringify(JSON.stringify(configs))}):
    t = make_trainer(${JSON.stringify(model)}, validate_config(${JSON.stringify(model)}, config), 8)
    out.append([p.model_dump() for p in plan_items(t.plan)])
print(json.dumps(out))`);
}

const pageFetch = globalThis.fetch;
globalThis.fetch = async (url, init) => {
  if (String(url).endsWith("/api/schema")) return new Response(JSON.stringify(SERVED_SCHEMA), { status: 200, headers: { "content-type": "application/json" } });
  return pageFetch(url, init);
};

/** GET /api/lessons as the server answers it: [{id, title, summary, steps}] in course order. */
export const servedLessons = () => python(`from flowscope.server.lessons import load_all
print(json.dumps([{"id": k, "steps": len(v.steps)} for k, v in load_all().items()]))`);

/** POST /api/scale's answer for `body`, from the engine (engine/scale estimate). */
export const servedScale = (body) => python(`from flowscope.engine.scale import estimate
print(json.dumps(estimate(json.loads(${JSON.stringify(JSON.stringify(body))}))))`);
