// `aetherflow validate [FLOW_YAML] [--flow-yaml P] [--json]` (core.md §9.2): exit 0 ok, 2 invalid.
import type { Command } from "@commander-js/extra-typings";
import { buildSnapshot, finalizeSnapshot, Masker } from "../engine/config/mod.ts";
import { EXIT } from "../engine/errors.ts";
import { formatReportJson, formatReportText, validateFlow } from "../engine/spec/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import { setExitCode } from "./_exit.ts";
import { resolveFlowPath } from "./_flow_path.ts";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Validate a flow file: YAML, schema, semantic rules, templates and profiles")
    .argument("[flow_yaml]", "the flow file")
    .option("--flow-yaml <path>", "the flow file (instead of FLOW_YAML)")
    .option("--json", "print the report as one line of JSON")
    .action(async (flowArg, opts) => {
      const flowPath = resolveFlowPath({ positional: flowArg, option: opts.flowYaml });
      const base = buildSnapshot();
      // TODO(#foundation): plugins (secrets provider, plugin steps) and bundles are wired in by the lead.
      const registry = StepRegistry.withBuiltins();
      const report = await validateFlow({
        flowPath,
        snapshot: base,
        registry,
        // The same snapshot run uses (core.md §7.1 step 6: engine keys from the workspace root) [D10].
        finalizeSnapshot: (snapshot, flow) =>
          finalizeSnapshot(snapshot, { workspaceRoot: flow.flow.workspace.root }),
      });
      const masker = new Masker();
      masker.addFromSnapshot(report.snapshot ?? base);
      console.log(masker.mask(opts.json ? formatReportJson(report) : formatReportText(report)));
      setExitCode(report.ok ? EXIT.OK : EXIT.INVALID);
    });
}
