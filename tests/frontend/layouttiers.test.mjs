// One layout system (issue 22, §2): the screen tiers live in one sheet, styles/responsive.css, that
// every page loads last; a page's own sheet places its panels for a laptop and lets what a panel
// holds follow the panel's own width (@container), never the screen's (@media). So a new panel fits
// every size with no per-size rule of its own, and a page that forgets the shared tiers is caught.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../frontend", import.meta.url));
const SHARED = "styles/responsive.css";

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else if (/\.(css|html|js)$/.test(name)) out.push(relative(ROOT, path).split("\\").join("/"));
  }
  return out;
}

const ALL = files(ROOT);
const text = (rel) => readFileSync(join(ROOT, rel), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");

test("no sheet, page or script but the shared tiers holds an @media rule", () => {
  const found = ALL.filter((rel) => rel !== SHARED && /@media\b/.test(text(rel)));
  assert.deepEqual(found, [], `screen-size rules outside ${SHARED}: ${found.join(", ")}`);
  assert.match(text(SHARED), /@media \(max-width: 700px\)/, "the phone tier is where the rules went");
  assert.match(text(SHARED), /@media \(min-width: 701px\) and \(max-width: 1000px\)/, "and the tablet tier");
});

test("every page loads the shared tiers, after its own sheets", () => {
  const pages = ALL.filter((rel) => rel.endsWith(".html"));
  assert.ok(pages.length >= 3, pages.join(", "));
  for (const rel of pages) {
    const sheets = [...text(rel).matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sheets.length, `${rel} loads no stylesheet`);
    assert.equal(sheets.at(-1), `/static/${SHARED}`, `${rel}: its last sheet is ${sheets.at(-1)}`);
  }
});
