// Open the backend a target names (docs/state.md "Backends"): the SQLite store, or the PostgreSQL store, whose
// module (and the `postgres` driver) is loaded only when a PostgreSQL target is opened.
import type { StateBackend } from "./backend.ts";
import { StateStore } from "./store.ts";
import type { StateTarget } from "./target.ts";

/** Options common to both backends, plus each one's own. */
export interface OpenBackendOptions {
  /** Applied to every text/JSON value written (D18). */
  mask?: (s: string) => string;
  /** Inspect only: never create, migrate or write. */
  readOnly?: boolean;
  /** SQLite: `AETHERFLOW_STATE_SYNCHRONOUS` (FULL by default). */
  synchronous?: "FULL" | "NORMAL";
  /** Identity and test hooks, as the stores take them. */
  host?: string;
  pid?: number;
  lockRetryMs?: number;
  processAlive?: (pid: number) => boolean;
}

/**
 * Open the state backend `target` names.
 * @throws {StateError} naming the file or the URL without its password.
 */
export async function openStateBackend(
  target: StateTarget,
  options: OpenBackendOptions = {},
): Promise<StateBackend> {
  if (target.kind === "sqlite") return StateStore.open(target.path, options);
  const { PostgresStateStore } = await import("./postgres_store.ts");
  return await PostgresStateStore.open(target.url, { ...options, schema: target.schema });
}
