// `aetherflow explain [FLOW_YAML] [--flow-yaml P] [--json]` (docs/cli.md): for each resource with a profile,
// its kind/driver, profile and the profile's decode map. Output masked [D18]; exit 0, 2 on invalid input.
import type { Command } from "@commander-js/extra-typings";
import type { ValidationReport } from "../engine/flow/mod.ts";
import { registerDiagnosis } from "./_flow_command.ts";

export interface ExplainResource {
  kind: string;
  driver: string;
  profile: string;
  decode: Record<string, unknown>;
}

export interface ExplainReport {
  flow_yaml: string;
  resources: Record<string, ExplainResource>;
}

/** Resources with a `profile`, in YAML order; `decode` is the profile's decode map (the resource's is not shown). */
export function buildExplainReport(report: ValidationReport): ExplainReport {
  const out: [string, ExplainResource][] = [];
  const profiles = report.profiles ?? {};
  for (const [name, res] of Object.entries(report.flow?.resources ?? {})) {
    if (res.profile === null || res.profile === undefined) continue;
    const profile = Object.hasOwn(profiles, res.profile) ? profiles[res.profile] : undefined;
    const decode = (profile?.decode ?? {}) as Record<string, unknown>;
    out.push([name, { kind: res.kind, driver: res.driver, profile: res.profile, decode }]);
  }
  return { flow_yaml: report.flow_yaml, resources: Object.fromEntries(out) };
}

/** `Flow: <f>`, then per resource an empty line, `Resource: <n> (<kind>/<driver>) profile=<p>` and the decode. */
export function formatExplainText(doc: ExplainReport): string {
  const lines = [`Flow: ${doc.flow_yaml}`];
  for (const [name, r] of Object.entries(doc.resources)) {
    lines.push("", `Resource: ${name} (${r.kind}/${r.driver}) profile=${r.profile}`);
    if (Object.keys(r.decode).length > 0) lines.push("  decode:", `    ${JSON.stringify(r.decode)}`);
  }
  return lines.join("\n");
}

export function registerExplain(program: Command): void {
  registerDiagnosis(program, {
    name: "explain",
    description: "Show each profiled resource: kind, driver, profile and what the profile decodes",
    build: buildExplainReport,
    formatText: formatExplainText,
    isOk: () => true,
  });
}
