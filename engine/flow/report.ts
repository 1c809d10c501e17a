/**
 * The validation report and its two renderings (docs/validation.md, docs/cli.md).
 * @module
 */
import type { Issue } from "../types.ts";
import type { FlowSpec, ProfileSpec } from "./flow_model.ts";

/** What `validateFlow` returns. `ok` = no errors; warnings never affect it. */
export interface ValidationReport {
  ok: boolean;
  errors: Issue[];
  warnings: Issue[];
  /** The flow path as given, normalised without resolving (`./v/x.yaml` -> `v/x.yaml`). */
  flow_yaml: string;
  /** The parsed flow with defaults applied, when the schema check passed. */
  flow?: FlowSpec;
  /** The validated profiles, when they loaded. */
  profiles?: Record<string, ProfileSpec>;
  /** The env snapshot the checks used (after `finalizeSnapshot` when one was given); never printed. */
  snapshot?: Readonly<Record<string, string>>;
}

/** Issue keys in contract order: code, loc, msg, then line/col when known (`file` is text-only). */
function _jsonIssue(issue: Issue): Record<string, unknown> {
  const out: Record<string, unknown> = { code: issue.code, loc: issue.loc, msg: issue.msg };
  if (issue.line !== undefined) out.line = issue.line;
  if (issue.col !== undefined) out.col = issue.col;
  return out;
}

/** One line of compact JSON: `{"ok","errors","warnings","flow_yaml"}` in that order [D17]. */
export function formatReportJson(report: ValidationReport): string {
  return JSON.stringify({
    ok: report.ok,
    errors: report.errors.map(_jsonIssue),
    warnings: report.warnings.map(_jsonIssue),
    flow_yaml: report.flow_yaml,
  });
}

/** ` (file:line:col)` when the position is known, appended to the first line of the message. */
export function formatIssueLine(prefix: "-" | "!", issue: Issue): string {
  const where = issue.line === undefined
    ? ""
    : ` (${issue.file ?? ""}${issue.file ? ":" : "line "}${issue.line}${
      issue.col === undefined ? "" : `:${issue.col}`
    })`;
  const [first = "", ...rest] = issue.msg.split("\n");
  return [`${prefix} ${issue.loc}: ${issue.code} - ${first}${where}`, ...rest].join("\n");
}

/**
 * Text report (docs/cli.md): `OK: <flow_yaml>` / `INVALID: <flow_yaml>`, `- <loc>: <code> - <msg>` per error, then
 * `! <loc>: <code> - <msg>` per warning. A known position is appended as ` (<file>:<line>:<col>)`.
 */
export function formatReportText(report: ValidationReport): string {
  const lines = [`${report.ok ? "OK" : "INVALID"}: ${report.flow_yaml}`];
  for (const issue of report.errors) lines.push(formatIssueLine("-", issue));
  for (const issue of report.warnings) lines.push(formatIssueLine("!", issue));
  return lines.join("\n");
}
