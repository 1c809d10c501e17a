// Schema and forward migrations of the PostgreSQL state store (docs/state.md "PostgreSQL"). The version lives
// in `aetherflow_schema` and counts like the SQLite file's `user_version`, so one number names one set of tables
// and columns on both backends. PostgreSQL support starts at version 3: a fresh database is created at that
// version in one step, later versions add migrations like SQLite's (v4: `process_groups`).
import { PROCESS_GROUPS_COLUMNS, SCHEMA_VERSION } from "./_migrations.ts";

/** Runs one statement inside the migration transaction. */
export type PgExec = (statement: string) => Promise<unknown>;

/** A migration from `from` to `to` (a fresh database is version 0). */
export interface PgMigration {
  readonly from: number;
  readonly to: number;
  readonly up: (exec: PgExec) => Promise<void>;
}

// The upstream tables keep their column names and types (INTEGER -> BIGINT for times), so SQL recipes written
// for the SQLite file work here too. `seq` orders rows the way SQLite's rowid does (a replaced row moves last).
const _V3 = [
  "CREATE SEQUENCE IF NOT EXISTS state_write_seq",
  `CREATE TABLE IF NOT EXISTS job_runs (
    job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL, updated_at BIGINT NOT NULL,
    outputs_json TEXT, skip_reason TEXT, skip_trigger TEXT, error TEXT, started_at_ms BIGINT, ended_at_ms BIGINT,
    seq BIGINT NOT NULL DEFAULT nextval('state_write_seq'), PRIMARY KEY (job_id, run_id))`,
  "CREATE INDEX IF NOT EXISTS job_runs_run_id ON job_runs (run_id)",
  `CREATE TABLE IF NOT EXISTS step_runs (
    job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL,
    updated_at BIGINT NOT NULL, output_json TEXT, promoted_json TEXT, step_type TEXT, inputs_json TEXT,
    started_at_ms BIGINT, ended_at_ms BIGINT, seq BIGINT NOT NULL DEFAULT nextval('state_write_seq'),
    PRIMARY KEY (job_id, run_id, step_id))`,
  "CREATE INDEX IF NOT EXISTS step_runs_run_id ON step_runs (run_id)",
  `CREATE TABLE IF NOT EXISTS locks (
    key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL, host TEXT, pid INTEGER)`,
  `CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, flow_id TEXT NOT NULL, flow_yaml TEXT, flow_sha256 TEXT, version TEXT,
    status TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, exit_code INTEGER,
    invocations INTEGER NOT NULL DEFAULT 1, host TEXT, pid INTEGER, plugins_json TEXT, bundle_json TEXT, error TEXT,
    started_at_ms BIGINT, invoked_at_ms BIGINT, ended_at_ms BIGINT, env_json TEXT, settings_json TEXT,
    workspace_root TEXT, log_path TEXT, seq BIGINT NOT NULL DEFAULT nextval('state_write_seq'))`,
  "CREATE INDEX IF NOT EXISTS runs_started_at ON runs (started_at)",
  `CREATE TABLE IF NOT EXISTS schedule_fires (
    item_id TEXT NOT NULL, slot_ms BIGINT NOT NULL, run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
    claimed_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, finished_at BIGINT, exit_code INTEGER,
    attempts INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (item_id, slot_ms))`,
  "CREATE INDEX IF NOT EXISTS schedule_fires_unfinished ON schedule_fires (item_id) WHERE finished_at IS NULL",
];

// v5: the digest of the step definition that wrote each step row (see the SQLite migration).
const _V5 = ["ALTER TABLE step_runs ADD COLUMN IF NOT EXISTS definition_sha256 TEXT"];

/** Every migration, in order. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    from: 0,
    to: 3,
    up: async (exec) => {
      for (const ddl of _V3) await exec(ddl);
    },
  },
  {
    // docs/state.md "Process groups": the child process group a step runs (columns shared with SQLite's v4).
    from: 3,
    to: 4,
    up: async (exec) => {
      await exec(`CREATE TABLE IF NOT EXISTS process_groups (${PROCESS_GROUPS_COLUMNS})`);
    },
  },
  {
    // The digest of the step definition that wrote each step row (SQLite's v5).
    from: 4,
    to: 5,
    up: async (exec) => {
      for (const ddl of _V5) await exec(ddl);
    },
  },
];

/** The table holding the version (one row). */
export const PG_VERSION_TABLE = "aetherflow_schema";

/** Apply every migration past `from`, in order; returns the version reached (`SCHEMA_VERSION`). */
export async function applyPgMigrations(exec: PgExec, from: number): Promise<number> {
  let v = from;
  for (const m of PG_MIGRATIONS) {
    if (m.from < v) continue;
    if (m.from !== v) throw new Error(`no migration from schema version ${v}`);
    await m.up(exec);
    v = m.to;
  }
  if (v !== SCHEMA_VERSION) throw new Error(`migrations end at version ${v}, expected ${SCHEMA_VERSION}`);
  await exec(`CREATE TABLE IF NOT EXISTS ${PG_VERSION_TABLE} (version INTEGER NOT NULL)`);
  await exec(`DELETE FROM ${PG_VERSION_TABLE}`);
  await exec(`INSERT INTO ${PG_VERSION_TABLE} (version) VALUES (${v})`);
  return v;
}
