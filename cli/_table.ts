// Plain-text tables for terminal output (runs list, locks list, runs show).

/** Left-aligned columns separated by two spaces; trailing blanks trimmed. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** Indent every line by `n` spaces. */
export function indent(text: string, n = 2): string {
  const pad = " ".repeat(n);
  return text.split("\n").map((l) => (l === "" ? l : pad + l)).join("\n");
}

/** `1.234s`, `512ms`, `2m03s`, `1h02m`, or `-`. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** An ISO time without milliseconds for tables (`2026-01-01T00:01:00Z`), or `-`. */
export function formatTime(iso: string | null): string {
  return iso === null ? "-" : iso.replace(/\.\d{3}Z$/, "Z");
}
