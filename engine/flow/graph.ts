/**
 * The job graph of a flow as text (docs/cli.md "graph"): Mermaid (default) or Graphviz DOT. Nodes are jobs
 * in declaration order with their steps; edges are `depends_on`; a `when` gate labels its job; plugin steps
 * are marked.
 * @module
 */

/** The part of a flow the graph reads (a validated `FlowSpec` fits). */
export interface GraphFlow {
  readonly flow: { readonly id: string };
  readonly jobs: readonly {
    readonly id: string;
    readonly depends_on?: readonly string[];
    readonly when?: string | null;
    readonly steps: readonly { readonly id: string; readonly type: string }[];
  }[];
}

export interface GraphOptions {
  /** Whether a step type comes from a plugin (marked `[plugin]`). */
  isPlugin?: (type: string) => boolean;
}

interface _Node {
  key: string;
  id: string;
  steps: string[];
  when: string | null;
}

// Ids may hold any character: nodes get safe keys (j0, j1, …), labels carry the real text.
function _nodes(flow: GraphFlow, options: GraphOptions): _Node[] {
  return flow.jobs.map((job, i) => ({
    key: `j${i}`,
    id: job.id,
    when: (job.when ?? "").trim() || null,
    steps: job.steps.map((s) => `${s.id} (${s.type})${options.isPlugin?.(s.type) ? " [plugin]" : ""}`),
  }));
}

function _edges(flow: GraphFlow, nodes: readonly _Node[]): [string, string][] {
  const keyOf = new Map(nodes.map((n) => [n.id, n.key]));
  const out: [string, string][] = [];
  flow.jobs.forEach((job, i) => {
    for (const dep of job.depends_on ?? []) {
      const from = keyOf.get(dep);
      if (from !== undefined) out.push([from, nodes[i]!.key]);
    }
  });
  return out;
}

function _mermaidText(text: string): string {
  // Mermaid labels in double quotes: quotes become #quot; and markup characters entities.
  return text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
}

/** `flowchart TD` with one node per job (steps listed inside) and `depends_on` arrows. */
export function flowToMermaid(flow: GraphFlow, options: GraphOptions = {}): string {
  const nodes = _nodes(flow, options);
  const lines = ["flowchart TD"];
  for (const n of nodes) {
    const parts = [`<b>${_mermaidText(n.id)}</b>`];
    if (n.when !== null) parts.push(`<i>when: ${_mermaidText(n.when)}</i>`);
    for (const s of n.steps) parts.push(_mermaidText(s));
    lines.push(`  ${n.key}["${parts.join("<br/>")}"]`);
    if (n.when !== null) lines.push(`  class ${n.key} gated`);
  }
  for (const [from, to] of _edges(flow, nodes)) lines.push(`  ${from} --> ${to}`);
  if (nodes.some((n) => n.when !== null)) lines.push("  classDef gated stroke-dasharray: 5 5");
  return lines.join("\n");
}

function _dotText(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** `digraph` with one box per job (steps as label lines) and `depends_on` edges. */
export function flowToDot(flow: GraphFlow, options: GraphOptions = {}): string {
  const nodes = _nodes(flow, options);
  const lines = [
    `digraph "${_dotText(flow.flow.id)}" {`,
    "  rankdir=TB;",
    '  node [shape=box, fontname="sans-serif"];',
  ];
  for (const n of nodes) {
    const label =
      [n.id, ...(n.when !== null ? [`when: ${n.when}`] : []), ...n.steps].map(_dotText).join("\\l") +
      "\\l";
    lines.push(`  ${n.key} [label="${label}"${n.when !== null ? ", style=dashed" : ""}];`);
  }
  for (const [from, to] of _edges(flow, nodes)) lines.push(`  ${from} -> ${to};`);
  lines.push("}");
  return lines.join("\n");
}
