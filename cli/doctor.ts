// `aetherflow doctor [FLOW_YAML] [--flow-yaml P] [--json]` (docs/cli.md): which env keys the flow and every
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

/**
 * The doctor report from a validation run with `strictEnv: false`; `hints` are the steps' own (their
 * `StepDefinition.hints`), key order loc, code, msg.
 */
export function buildDoctorReport(
  report: ValidationReport,
  context: { hints: readonly Issue[] },
): DoctorReport {
  const missing = report.warnings.concat(report.errors).filter((i) => i.code === MISSING_ENV).map(_item);
  const warnings = report.errors.filter((i) => i.code.startsWith("template:")).map(_item);
  return {
    ok: missing.length === 0,
    flow_yaml: report.flow_yaml,
    missing_env: missing,
    warnings: [...warnings, ...context.hints.map((h) => ({ loc: h.loc, code: h.code, msg: h.msg }))],
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
    // The missing keys are why doctor fails: listed again under `errors` (docs/cli.md "JSON output").
    errors: (doc) => doc.missing_env,
    connect: true,
  });
}
