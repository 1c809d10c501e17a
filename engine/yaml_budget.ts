/**
 * The node budget of every YAML document a user hands aetherflow (flows, profiles, settings, scheduler files,
 * plugin locks, bundle manifests): checked on the text before any parser runs, because the parser's memory and
 * time grow with the node count, not the byte count — a 10 MB one-line sequence of 5 M items took 71 s and 4 GB
 * (docs/yaml-spec.md "Limits").
 * @module
 */

/** Documents whose {@linkcode yamlNodeEstimate} exceeds this are refused before parsing. */
export const MAX_YAML_NODES = 120_000;

/**
 * A cheap estimate of the nodes a YAML text holds, counted without parsing: two per `:` that ends a key (the
 * key and its value), one per sequence entry (`- `), per `,`, `[` and `{`. It comes within a few percent of the
 * real count for flows, and above it for flow collections; text inside scalars counts too, which only errs
 * on the safe side. Line breaks are not counted: a long block scalar is one node.
 */
export function yamlNodeEstimate(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 44 || c === 91 || c === 123) n++;
    else if (c === 58 || c === 45) {
      const next = text.charCodeAt(i + 1);
      if (next === 32 || next === 9 || next === 10 || next === 13 || Number.isNaN(next)) {
        n += c === 58 ? 2 : 1;
      }
    }
  }
  return n;
}

/** Why `text` is over the budget (`Too many YAML nodes: …`), or undefined when it is within it. */
export function yamlBudgetProblem(text: string): string | undefined {
  const nodes = yamlNodeEstimate(text);
  return nodes > MAX_YAML_NODES
    ? `Too many YAML nodes: about ${nodes}, limit is ${MAX_YAML_NODES}`
    : undefined;
}
