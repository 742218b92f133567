// The engine's settings as GET /api/schema serves them — each model's fields with their bounds,
// choices and words, which apply live, the models' names, the Scale page's choices: the page's one
// source for them. Modules import SCHEMA from here; it is fetched once, before any of them runs.

import { fetchSchema } from "./api.js";

export const SCHEMA = await fetchSchema();
