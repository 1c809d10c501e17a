// `aetherflow validate [FLOW_YAML] [--flow-yaml P] [--json]` (docs/cli.md): exit 0 ok, 2 invalid.
// Registering stays cheap: the engine is imported when the command runs (start-up time of every command).
import type { Command } from "@commander-js/extra-typings";
import { EXIT } from "../engine/errors.ts";
import { setExitCode } from "./_exit.ts";
import { flowCommand, flowTarget } from "./_flow_command.ts";

const DESCRIPTION = "Validate a flow file: YAML, schema, semantic rules, templates and profiles";

export function registerValidate(program: Command): void {
  flowCommand(program, "validate", DESCRIPTION)
    .action(async (flowArg, opts) => {
      const target = flowTarget(flowArg, opts);
      const [spec, { prepareFlow }] = await Promise.all([
        import("../engine/flow/mod.ts"),
        import("../compose/mod.ts"),
      ]);
      // The same composition as run: snapshot, pinned plugins (their step types, the secrets provider's
      // expand_env), validation with that finalized snapshot [D10]; with a manifest, the synced bundle's
      // entry flow and wiring (docs/bundles.md).
      const prepared = await prepareFlow(target.flowPath, {
        log: (line) => console.error(line),
        ...target.options,
      });
      await prepared.close();
      const { report, masker } = prepared;
      console.log(masker.mask(opts.json ? spec.formatReportJson(report) : spec.formatReportText(report)));
      setExitCode(report.ok ? EXIT.OK : EXIT.INVALID);
    });
}
