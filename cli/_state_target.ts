// Which state database a history or lock command reads (docs/cli.md "Finding the state database"): the flow's
// own `state.path` (FLOW_YAML or --flow, rendered like `run` does), or `--db PATH`, which overrides it.
import { isAbsolute, resolve } from "node:path";
import { SpecError, UsageError } from "../engine/errors.ts";
import type { StateStore } from "../engine/state/mod.ts";

export interface StateTargetArgs {
  /** FLOW_YAML (positional). */
  flow?: string;
  /** `--flow PATH`. */
  flowOption?: string;
  /** `--db PATH`. */
  db?: string;
  /** `--env-file PATH` (repeatable): env files for rendering the flow's `state.path`. */
  envFile?: string[];
}

/** The database to read, and the flow it came from when one was given. */
export interface StateTarget {
  dbPath: string;
  flowPath?: string;
  flowId?: string;
  workspaceRoot?: string;
}

/** `--flow` and `--db`, chained on every runs/locks/state command (`.option(...FLOW_OPTION)`). */
export const FLOW_OPTION = [
  "--flow <path>",
  "the flow whose state.path to read (instead of FLOW_YAML)",
] as const;
export const DB_OPTION = [
  "--db <path>",
  "the state database file (overrides the flow's state.path)",
] as const;

/** Resolve the database from the flow or `--db`. Neither given, or two different flows: exit 2. */
export async function resolveStateTarget(args: StateTargetArgs): Promise<StateTarget> {
  const pos = args.flow === "" ? undefined : args.flow;
  const opt = args.flowOption === "" ? undefined : args.flowOption;
  if (pos !== undefined && opt !== undefined && resolve(pos) !== resolve(opt)) {
    throw new UsageError("give the flow either as FLOW_YAML or with --flow, not both", { loc: "--flow" });
  }
  const flowPath = opt ?? pos;
  if (flowPath === undefined) {
    if (args.db === undefined || args.db === "") {
      throw new UsageError("missing state database: give FLOW_YAML, --flow or --db", { loc: "--db" });
    }
    return { dbPath: resolve(args.db) };
  }
  const [{ prepareFlow }, { renderFlowMeta }] = await Promise.all([
    import("../compose/mod.ts"),
    import("../engine/runner/mod.ts"),
  ]);
  const prepared = await prepareFlow(flowPath, {
    strictEnv: false,
    envFiles: args.envFile,
    log: (line) => console.error(line),
  });
  await prepared.close();
  const { report, snapshot } = prepared;
  if (!report.flow) throw new SpecError(report.errors, report.warnings);
  const meta = renderFlowMeta(report.flow.flow, snapshot);
  const statePath = isAbsolute(meta.state.path) || meta.state.path === ":memory:"
    ? meta.state.path
    : resolve(meta.state.path);
  if (statePath === ":memory:" && args.db === undefined) {
    throw new UsageError(
      `Flow ${flowPath} keeps its state in memory (state.path ":memory:"): nothing to read`,
      {
        loc: "flow.state.path",
      },
    );
  }
  return {
    dbPath: args.db !== undefined && args.db !== "" ? resolve(args.db) : statePath,
    flowPath,
    flowId: meta.id,
    workspaceRoot: meta.workspace.root,
  };
}

/**
 * Open an existing database. Read-only by default (inspection never creates, migrates or writes); `write`
 * for prune and lock release. A missing file is a usage error (exit 2); a corrupt one a state error (exit 1).
 */
export async function openState(dbPath: string, options: { write?: boolean } = {}): Promise<StateStore> {
  let isFile: boolean;
  try {
    isFile = Deno.statSync(dbPath).isFile;
  } catch {
    throw new UsageError(`State database not found: ${dbPath}`, { loc: "--db" });
  }
  if (!isFile) throw new UsageError(`State database is not a regular file: ${dbPath}`, { loc: "--db" });
  const { StateStore } = await import("../engine/state/mod.ts");
  return StateStore.open(dbPath, { readOnly: options.write !== true });
}
