// Plain words for the Transformer page's short labels, for a first-timer: tooltips on the ribbon,
// the per-layer table and the weight picker, and the captions under them. Pure (node-tested).

const TERMS = [
  [/\bwte\b/, "wte: the token embedding table, one learned vector per character"],
  [/\bwpe\b/, "wpe: the position embedding table, one learned vector per place in the context"],
  [/W_qkv/, "W_qkv: the matrix that turns each position's vector into its query, key and value for attention"],
  [/W_fc/, "W_fc: the MLP's first matrix, widening each vector 4× before GELU"],
  [/\[(\d+),(\d+)\]/, "[i,j]: one number of that matrix, row i, column j"],
  [/‖Δθ‖\/‖θ‖/, "‖Δθ‖/‖θ‖: how far the last update moved these weights, relative to their size (about 10⁻³ is healthy)"],
  [/‖g‖/, "‖g‖: the size (norm) of the gradient"],
  [/\bQKᵀ|QK\^T|QKᵀ\/√d/, "QKᵀ/√d: how well each position's query matches every earlier position's key"],
];

/** Block-numbered short names: A1 = block 1's attention, M1 = block 1's MLP. */
function shortName(label) {
  const m = /^(A|M)(\d+)$/.exec(String(label).trim());
  if (!m) return null;
  return m[1] === "A" ? `A${m[2]}: the attention of block ${m[2]}` : `M${m[2]}: the MLP (two matrices with GELU between) of block ${m[2]}`;
}

/** Every explanation that applies to `label`, one per line; "" when none does. */
export function explain(label) {
  const text = String(label ?? "");
  const out = [];
  const short = shortName(text);
  if (short) out.push(short);
  if (/^emb(edding)?$/i.test(text.trim())) out.push(`${text.trim()}: the token and position embedding tables (wte, wpe)`);
  const block = /^block (\d+)$/.exec(text.trim());
  if (block) out.push(`block ${block[1]}: one attention layer and one MLP, each adding its result onto the running vector`);
  const sub = /^(attn|MLP) (\d+)$/.exec(text.trim());
  if (sub) out.push(shortName(`${sub[1] === "attn" ? "A" : "M"}${sub[2]}`));
  if (/^head$/i.test(text.trim())) out.push("head: the last matrix, from each vector to a score per character");
  for (const [re, words] of TERMS) if (re.test(text)) out.push(words);
  return out.join("\n");
}
