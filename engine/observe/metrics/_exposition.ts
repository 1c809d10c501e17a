// A small reader/writer for the Prometheus text exposition format (version 0.0.4), enough for the files this
// package writes: `# HELP`, `# TYPE` and `name{label="value",…} value` lines. Other lines are dropped.

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface Family {
  help: string;
  type: string;
  samples: Sample[];
}

const _META_REGEXP = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s(.*))?$/;
const _SAMPLE_REGEXP = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const _UNESCAPE_REGEXP = /\\(.)/g;
const _LABEL_REGEXP = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/** Families by metric name, in file order. Unparsable lines are skipped. */
export function parseExposition(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const family = (name: string) => {
    let f = out.get(name);
    if (!f) out.set(name, f = { help: "", type: "untyped", samples: [] });
    return f;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const meta = _META_REGEXP.exec(line);
    if (meta) {
      const f = family(meta[2]!);
      if (meta[1] === "HELP") f.help = _unescapeHelp(meta[3] ?? "");
      else f.type = (meta[3] ?? "untyped").trim();
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = _SAMPLE_REGEXP.exec(line);
    if (!m) continue;
    const labels = m[2] === undefined ? {} : _parseLabels(m[2].slice(1, -1));
    const value = _parseValue(m[3]!);
    if (labels === undefined || value === undefined) continue;
    family(_familyName(m[1]!, out)).samples.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** The exposition text of `families` (sorted by name, samples sorted by labels), ending in a newline. */
export function renderExposition(families: ReadonlyMap<string, Family>): string {
  const lines: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name)!;
    if (f.samples.length === 0) continue;
    if (f.help !== "") lines.push(`# HELP ${name} ${_escapeHelp(f.help)}`);
    lines.push(`# TYPE ${name} ${f.type}`);
    const rendered = f.samples.map((s) => `${s.name}${_renderLabels(s.labels)} ${_formatValue(s.value)}`);
    lines.push(...rendered.sort());
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

/** `{a="x",b="y"}` with keys sorted and values escaped; empty for no labels. */
function _renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "";
  return `{${keys.map((k) => `${k}="${_escapeLabel(labels[k]!)}"`).join(",")}}`;
}

/** A stable identity for one series. */
export function seriesKey(name: string, labels: Labels): string {
  return name + _renderLabels(labels);
}

// Histogram/summary children (`x_bucket`, `x_sum`, `x_count`) belong to their declared family.
function _familyName(sample: string, families: Map<string, Family>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const t = families.get(base)?.type;
    if (t === "histogram" || t === "summary") return base;
  }
  return sample;
}

function _parseLabels(body: string): Labels | undefined {
  const out: Record<string, string> = {};
  _LABEL_REGEXP.lastIndex = 0;
  while (_LABEL_REGEXP.lastIndex < body.length) {
    const m = _LABEL_REGEXP.exec(body);
    if (!m) return body.slice(_LABEL_REGEXP.lastIndex).trim() === "" ? out : undefined;
    out[m[1]!] = m[2]!.replace(_UNESCAPE_REGEXP, (_, c: string) => c === "n" ? "\n" : c);
  }
  return out;
}

function _parseValue(text: string): number | undefined {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const v = Number(text);
  return Number.isNaN(v) ? undefined : v;
}

function _formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function _escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function _escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function _unescapeHelp(v: string): string {
  return v.replace(_UNESCAPE_REGEXP, (_, c: string) => c === "n" ? "\n" : c);
}
