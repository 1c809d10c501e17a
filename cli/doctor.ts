// `aetherflow doctor [FLOW_YAML] [--flow-yaml P] [--json]` (core.md §9.4): which env keys the flow and every
// profile still need. Exit 0 when none is missing, else 2. Output masked [D18].
import type { Command } from "@commander-js/extra-typings";
import type { ValidationReport } from "../engine/flow/mod.ts";
import type { Issue } from "../engine/types.ts";
import { registerDiagnosis } from "./_flow_command.ts";

const MISSING_ENV = "semantic:missing_env";

export interface DoctorItem {
  code: string;
  loc: string;
  msg: string;
}

export interface DoctorReport {
  ok: boolean;
  flow_yaml: string;
  missing_env: DoctorItem[];
  warnings: DoctorItem[];
}

function _item(i: Issue): DoctorItem {
  return { code: i.code, loc: i.loc, msg: i.msg };
}

function _isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function _isFalse(v: unknown): boolean {
  return v === false ||
    (typeof v === "string" && ["0", "false", "no", "n", "off"].includes(v.trim().toLowerCase()));
}

/** Hints for `excel_fill_from_file` report_region targets (§9.4); key order loc, code, msg. */
export function excelHints(report: ValidationReport): DoctorItem[] {
  const out: DoctorItem[] = [];
  (report.flow?.jobs ?? []).forEach((job, i) => {
    job.steps.forEach((step, j) => {
      if (step.type !== "excel_fill_from_file" || !Array.isArray(step.inputs.targets)) return;
      step.inputs.targets.forEach((target: unknown, k: number) => {
        if (!_isMap(target) || String(target.mode ?? "").trim() !== "report_region") return;
        const loc = `jobs[${i}].steps[${j}].inputs.targets[${k}]`;
        const name = typeof target.name === "string" ? target.name : String(k);
        if (target.rows_threshold === undefined && step.inputs.rows_threshold === undefined) {
          out.push({
            loc,
            code: "report_region_default_threshold",
            msg:
              `target=${name}: report_region uses the default rows_threshold=50000; set rows_threshold explicitly`,
          });
        }
        if (_isFalse(target.fail_on_threshold)) {
          out.push({
            loc,
            code: "report_region_threshold_guard_disabled",
            msg:
              `target=${name}: fail_on_threshold is false, so row_count is never checked against rows_threshold`,
          });
        }
      });
    });
  });
  return out;
}

/** The doctor report from a validation run with `strictEnv: false`. */
export function buildDoctorReport(report: ValidationReport): DoctorReport {
  const missing = report.warnings.concat(report.errors).filter((i) => i.code === MISSING_ENV).map(_item);
  const warnings = report.errors.filter((i) => i.code.startsWith("template:")).map(_item);
  return {
    ok: missing.length === 0,
    flow_yaml: report.flow_yaml,
    missing_env: missing,
    warnings: [...warnings, ...excelHints(report)],
  };
}

/** `Missing env env.ORA_PASS` / loc path -> `ORA_PASS`. */
function _envKey(msg: string): string {
  const path = msg.replace(/^Missing env /, "");
  return path.startsWith("env.") ? path.slice(4) : path;
}

/** Text form: `OK:`/`FAIL: <flow_yaml>`, `- <loc>: needs env <KEY>`, `! <loc>: <code> - <msg>` [D17]. */
export function formatDoctorText(doc: DoctorReport): string {
  const lines = [`${doc.ok ? "OK" : "FAIL"}: ${doc.flow_yaml}`];
  for (const m of doc.missing_env) lines.push(`- ${m.loc}: needs env ${_envKey(m.msg)}`);
  for (const w of doc.warnings) lines.push(`! ${w.loc}: ${w.code} - ${w.msg}`);
  return lines.join("\n");
}

export function registerDoctor(program: Command): void {
  registerDiagnosis(program, {
    name: "doctor",
    description: "List the env keys a flow and its profiles still need, and template problems",
    build: buildDoctorReport,
    formatText: formatDoctorText,
    isOk: (doc) => doc.ok,
  });
}
