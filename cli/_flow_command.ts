// The shape shared by the commands that take one flow (validate, doctor, explain; docs/cli.md): the
// `[flow_yaml]` / `--flow-yaml` / `--json` surface, and doctor's and explain's common action.
import type { Command } from "@commander-js/extra-typings";
import { EXIT } from "../engine/errors.ts";
import type { ValidationReport } from "../engine/flow/mod.ts";
import type { Issue } from "../engine/types.ts";
import { setExitCode } from "./_exit.ts";
import { collect, ENV_FILE_HELP } from "./_env_help.ts";
import type { ProbeResult } from "../engine/connectors/probe.ts";
import { InvalidArgumentError } from "@commander-js/extra-typings";

function _seconds(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(value) || !(n > 0) || n > 3600) {
    throw new InvalidArgumentError("must be a number of seconds between 0 and 3600");
  }
  return n;
}

function formatProbes(results: readonly ProbeResult[]): string {
  if (results.length === 0) return "connect: no resources";
  const width = Math.max(...results.map((r) => r.resource.length));
  return [
    "connect:",
    ...results.map((r) =>
      `  ${r.status.padEnd(4)} ${
        r.resource.padEnd(width)
      } (${r.kind}/${r.driver}) ${r.duration_ms} ms - ${r.detail}`
    ),
  ].join("\n");
}
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
  /** Offer `--connect [--timeout S]`: probe every resource (docs/architecture.md "Connection probes"). */
  connect?: boolean;
}

/**
 * Register doctor or explain: validate leniently, print the validate report and exit 2 on unusable input,
 * else print the command's document (masked [D18]). The engine is imported when the command runs.
 */
export function registerDiagnosis<T>(program: Command, command: DiagnosisCommand<T>): void {
  let cmd = flowCommand(program, command.name, command.description);
  if (command.connect) {
    cmd = cmd
      .option("--connect", "also open every resource the flow declares and check it answers (OK/FAIL/SKIP)")
      .option("--timeout <seconds>", "with --connect: time budget of each probe (default 10)", _seconds)
      .addHelpText(
        "after",
        `
Examples:
  aetherflow doctor flows/daily.yaml
  aetherflow doctor flows/daily.yaml --connect --timeout 5 --env-file prod.env`,
      ) as unknown as typeof cmd;
  }
  cmd.action(async (flowArg, rawOpts) => {
    const opts = rawOpts as typeof rawOpts & { connect?: boolean; timeout?: number };
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
    const { report, masker } = prepared;
    let probes: ProbeResult[] | undefined;
    try {
      if (opts.connect && !isUnusableInput(report)) {
        const { probeFlowResources } = await import("./_connect.ts");
        probes = await probeFlowResources(prepared, {
          timeoutMs: (opts.timeout ?? 10) * 1000,
          warn: (msg) => console.error(masker.mask(`WARNING ${msg}`)),
        });
      }
    } finally {
      await prepared.close(); // plugin connectors are probed through their workers
    }
    if (isUnusableInput(report)) {
      console.log(masker.mask(opts.json ? spec.formatReportJson(report) : spec.formatReportText(report)));
      setExitCode(EXIT.INVALID);
      return;
    }
    const hints = report.flow ? spec.collectStepHints(report.flow, prepared.registry) : [];
    const doc = command.build(report, { hints });
    const failed = (probes ?? []).filter((p) => p.status === "FAIL");
    const ok = command.isOk(doc) && failed.length === 0;
    // One JSON style (docs/cli.md "JSON output"): `ok` first; doctor's report already starts with it.
    const json = () => {
      // `ok` first; doctor's report has its own, which the probes' verdict then overrides in place.
      const out: Record<string, unknown> = { ok, ...doc };
      out.ok = ok;
      if (probes) out.connect = probes;
      if (command.errors) {
        out.errors = [
          ...command.errors(doc),
          ...failed.map((p) => ({ code: "connect:failed", loc: `resources.${p.resource}`, msg: p.detail })),
        ];
      }
      return JSON.stringify(out);
    };
    const text = () => {
      const body = command.formatText(doc);
      if (probes === undefined) return body;
      return `${body}\n${formatProbes(probes)}`;
    };
    console.log(masker.mask(opts.json ? json() : text()));
    // Missing env is invalid input (2); a resource that does not answer is a runtime failure (1).
    setExitCode(!command.isOk(doc) ? EXIT.INVALID : failed.length > 0 ? EXIT.FAILED : EXIT.OK);
  });
}
