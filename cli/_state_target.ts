// Which state a history or lock command reads (docs/cli.md "Finding the state database"): the flow's own
// `state` block (FLOW_YAML or --flow, rendered like `run` does: a SQLite `state.path`, or the PostgreSQL
// `state.url` / setting `state_url`), or `--db`, which overrides it: a file path, `sqlite:<path>`,
// `postgres:<url>` or a bare `postgres://…` URL (docs/state.md "Backends").
import { resolve } from "node:path";
import { SpecError, UsageError } from "../engine/errors.ts";
import type { StateBackend, StateTarget as EngineTarget } from "../engine/state/mod.ts";

export interface StateTargetArgs {
  /** FLOW_YAML (positional). */
  flow?: string;
  /** `--flow PATH`. */
  flowOption?: string;
  /** `--db PATH|URL`. */
  db?: string;
  /** `--env-file PATH` (repeatable): env files for rendering the flow's `state` block. */
  envFile?: string[];
}

/** The state to read, and the flow it came from when one was given. */
export interface StateTarget {
  state: EngineTarget;
  flowPath?: string;
  flowId?: string;
  workspaceRoot?: string;
}

/** `--flow` and `--db`, chained on every runs/locks/state command (`.option(...FLOW_OPTION)`). */
export const FLOW_OPTION = [
  "--flow <path>",
  "the flow whose state block to read (instead of FLOW_YAML)",
] as const;
export const DB_OPTION = [
  "--db <path|url>",
  "the state: a SQLite file (or sqlite:<path>) or postgres://… (overrides the flow's state block)",
] as const;

/** Resolve the state from the flow or `--db`. Neither given, or two different flows: exit 2. */
export async function resolveStateTarget(args: StateTargetArgs): Promise<StateTarget> {
  const pos = args.flow === "" ? undefined : args.flow;
  const opt = args.flowOption === "" ? undefined : args.flowOption;
  if (pos !== undefined && opt !== undefined && resolve(pos) !== resolve(opt)) {
    throw new UsageError("give the flow either as FLOW_YAML or with --flow, not both", { loc: "--flow" });
  }
  const { parseStateLocator } = await import("../engine/state/target.ts");
  const dbGiven = args.db !== undefined && args.db !== "";
  const flowPath = opt ?? pos;
  if (flowPath === undefined) {
    if (!dbGiven) {
      throw new UsageError("missing state database: give FLOW_YAML, --flow or --db", { loc: "--db" });
    }
    return { state: parseStateLocator(args.db!, Deno.cwd()) };
  }
  const [{ prepareFlow, preparedStateTarget }, { renderFlowMeta }, { loadSettings }] = await Promise.all([
    import("../compose/mod.ts"),
    import("../engine/runner/mod.ts"),
    import("../engine/config/mod.ts"),
  ]);
  const prepared = await prepareFlow(flowPath, {
    strictEnv: false,
    envFiles: args.envFile,
    log: (line) => console.error(line),
  });
  try {
    const { report, snapshot } = prepared;
    if (!report.flow) throw new SpecError(report.errors, report.warnings);
    const meta = renderFlowMeta(report.flow.flow, snapshot);
    const base = { flowPath, flowId: meta.id, workspaceRoot: meta.workspace.root };
    if (dbGiven) return { ...base, state: parseStateLocator(args.db!, Deno.cwd()) };
    const state = await preparedStateTarget(prepared, meta.state, {
      cwd: Deno.cwd(),
      stateUrl: loadSettings(snapshot).state_url,
      onWarning: (msg) => console.error(prepared.masker.mask(`WARNING: ${msg}`)),
    });
    if (state.kind === "sqlite" && state.path === ":memory:") {
      throw new UsageError(
        `Flow ${flowPath} keeps its state in memory (state.path ":memory:"): nothing to read`,
        { loc: "flow.state.path" },
      );
    }
    return { ...base, state };
  } finally {
    // Closed once the state URL is resolved: a secrets provider (a plugin) may decode a state profile's URL.
    await prepared.close();
  }
}

/**
 * Open existing state. Read-only by default (inspection never creates, migrates or writes); `write` for prune
 * and lock release. A missing file is a usage error (exit 2); a corrupt one, an unreachable or uninitialised
 * database a state error (exit 1). Close it with `await using`.
 */
export async function openState(
  target: EngineTarget,
  options: { write?: boolean } = {},
): Promise<StateBackend & AsyncDisposable> {
  if (target.kind === "sqlite") {
    let isFile: boolean;
    try {
      isFile = Deno.statSync(target.path).isFile;
    } catch {
      throw new UsageError(`State database not found: ${target.path}`, { loc: "--db" });
    }
    if (!isFile) {
      throw new UsageError(`State database is not a regular file: ${target.path}`, { loc: "--db" });
    }
  }
  const { openStateBackend } = await import("../engine/state/mod.ts");
  const store = await openStateBackend(target, { readOnly: options.write !== true });
  return Object.assign(store, { [Symbol.asyncDispose]: async () => await store.close() });
}
