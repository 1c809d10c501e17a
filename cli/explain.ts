// `aetherflow explain [FLOW_YAML] [--flow-yaml P] [--json]` (core.md §9.5): for each resource with a profile,
// its kind/driver, profile and the profile's decode map. Output masked [D18]; exit 0, 2 on invalid input.
import type { Command } from "@commander-js/extra-typings";
import { isUnusableInput, prepareFlow } from "./_prepare.ts";
import { EXIT } from "../engine/errors.ts";
import { formatReportJson, formatReportText, type ValidationReport } from "../engine/spec/mod.ts";
import { setExitCode } from "./_exit.ts";
import { resolveFlowPath } from "./_flow_path.ts";

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
  program
    .command("explain")
    .description("Show each profiled resource: kind, driver, profile and what the profile decodes")
    .argument("[flow_yaml]", "the flow file")
    .option("--flow-yaml <path>", "the flow file (instead of FLOW_YAML)")
    .option("--json", "print the report as one line of JSON")
    .action(async (flowArg, opts) => {
      const flowPath = resolveFlowPath({ positional: flowArg, option: opts.flowYaml });
      const prepared = await prepareFlow(flowPath, { strictEnv: false });
      await prepared.close();
      const { report, masker } = prepared;
      if (isUnusableInput(report)) {
        console.log(masker.mask(opts.json ? formatReportJson(report) : formatReportText(report)));
        setExitCode(EXIT.INVALID);
        return;
      }
      const doc = buildExplainReport(report);
      console.log(masker.mask(opts.json ? JSON.stringify(doc) : formatExplainText(doc)));
      setExitCode(EXIT.OK);
    });
}
