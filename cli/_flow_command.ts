// The shape shared by the commands that take one flow (validate, doctor, explain; core.md §9.1–§9.5): the
// `[flow_yaml]` / `--flow-yaml` / `--json` surface, and doctor's and explain's common action.
import type { Command } from "@commander-js/extra-typings";
import { EXIT } from "../engine/errors.ts";
import type { ValidationReport } from "../engine/flow/mod.ts";
import type { Issue } from "../engine/types.ts";
import { setExitCode } from "./_exit.ts";
import { collect, ENV_FILE_HELP } from "./_env_help.ts";
import { resolveFlowPath, resolveOptionalFlowPath } from "./_flow_path.ts";

/** `program.command(name)` with the flow argument, `--flow-yaml` and `--json`. */
export function flowCommand(program: Command, name: string, description: string) {
  return program
    .command(name)
    .description(description)
    .argument("[flow_yaml]", "the flow file")
    .option("--flow-yaml <path>", "the flow file (instead of FLOW_YAML)")
    .option("--bundle-manifest <path>", "sync this bundle and use its entry flow (docs/bundles.md)")
    .option("--allow-stale-bundle", "if the bundle sync fails, use the active bundle")
    .option("--env-file <path>", ENV_FILE_HELP, collect, [] as string[])
    .option("--json", "print the report as one line of JSON");
}

/** The flow path and prepareFlow options of a flow command (the flow is optional with a bundle manifest). */
export function flowTarget(
  flowArg: string | undefined,
  opts: { flowYaml?: string; bundleManifest?: string; allowStaleBundle?: boolean; envFile?: string[] },
): {
  flowPath: string | undefined;
  options: { bundle?: { manifestPath: string; allowStale: boolean }; envFiles?: string[] };
} {
  const given = { positional: flowArg, option: opts.flowYaml };
  const envFiles = opts.envFile ?? [];
  if (opts.bundleManifest === undefined) return { flowPath: resolveFlowPath(given), options: { envFiles } };
  return {
    flowPath: resolveOptionalFlowPath(given),
    options: {
      envFiles,
      bundle: { manifestPath: opts.bundleManifest, allowStale: opts.allowStaleBundle === true },
    },
  };
}

export interface DiagnosisCommand<T> {
  name: string;
  description: string;
  /** The command's document, from a validation run with `strictEnv: false`, and the steps' doctor hints. */
  build(report: ValidationReport, context: { hints: readonly Issue[] }): T;
  formatText(doc: T): string;
  /** Whether the command exits 0; otherwise 2. */
  isOk(doc: T): boolean;
  /** Why it is not ok, as `{code, loc, msg}` issues (the `errors` of the one JSON style). */
  errors?(doc: T): { code: string; loc: string; msg: string }[];
}

/**
 * Register doctor or explain: validate leniently, print the validate report and exit 2 on unusable input,
 * else print the command's document (masked [D18]). The engine is imported when the command runs.
 */
export function registerDiagnosis<T>(program: Command, command: DiagnosisCommand<T>): void {
  flowCommand(program, command.name, command.description).action(async (flowArg, opts) => {
    const target = flowTarget(flowArg, opts);
    const [spec, { isUnusableInput, prepareFlow }] = await Promise.all([
      import("../engine/flow/mod.ts"),
      import("../compose/mod.ts"),
    ]);
    const prepared = await prepareFlow(target.flowPath, {
      strictEnv: false,
      log: (line) => console.error(line),
      ...target.options,
    });
    await prepared.close();
    const { report, masker } = prepared;
    if (isUnusableInput(report)) {
      console.log(masker.mask(opts.json ? spec.formatReportJson(report) : spec.formatReportText(report)));
      setExitCode(EXIT.INVALID);
      return;
    }
    const hints = report.flow ? spec.collectStepHints(report.flow, prepared.registry) : [];
    const doc = command.build(report, { hints });
    // One JSON style (docs/cli.md "JSON output"): `ok` first; doctor's report already starts with it.
    const json = () =>
      JSON.stringify({
        ok: command.isOk(doc),
        ...doc,
        ...(command.errors ? { errors: command.errors(doc) } : {}),
      });
    console.log(masker.mask(opts.json ? json() : command.formatText(doc)));
    setExitCode(command.isOk(doc) ? EXIT.OK : EXIT.INVALID);
  });
}
