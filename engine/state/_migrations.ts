// Schema and forward migrations of the state database (docs/state.md, D14). `PRAGMA user_version` holds the
// version; version 0 is an upstream AetherFlow database (or an empty file) and is migrated in place.
import type { DatabaseSync } from "node:sqlite";

/** The schema version this build writes and understands. */
export const SCHEMA_VERSION = 5;

// Upstream tables with upstream columns, unchanged, so upstream SQL recipes keep working (D14).
const _UPSTREAM_TABLES = [
  `CREATE TABLE IF NOT EXISTS job_runs (
    job_id TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, run_id))`,
  `CREATE TABLE IF NOT EXISTS step_runs (
    job_id TEXT NOT NULL, run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL,
    updated_at INTEGER NOT NULL, PRIMARY KEY (job_id, run_id, step_id))`,
  `CREATE TABLE IF NOT EXISTS locks (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)`,
] as const;

// Columns added to upstream tables: nullable, so rows written by upstream stay valid (pre-D4 rows read as `{}`).
const _ADDED_COLUMNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  job_runs: [["outputs_json", "TEXT"], ["skip_reason", "TEXT"], ["skip_trigger", "TEXT"], ["error", "TEXT"]],
  step_runs: [["output_json", "TEXT"], ["promoted_json", "TEXT"]],
  locks: [["host", "TEXT"], ["pid", "INTEGER"]],
};

const _RUNS_TABLE = `CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, flow_id TEXT NOT NULL, flow_yaml TEXT, flow_sha256 TEXT, version TEXT,
  status TEXT NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER, exit_code INTEGER,
  invocations INTEGER NOT NULL DEFAULT 1, host TEXT, pid INTEGER, plugins_json TEXT, bundle_json TEXT, error TEXT)`;

function _columnsOf(db: DatabaseSync, table: string): Set<string> {
  const rows = db.prepare(`PRAGMA table_info(${table})`).all();
  return new Set(rows.map((r) => String(r.name)));
}

/** v0 -> v1: upstream tables (created when absent), added columns, the `runs` table and its index. */
function _toV1(db: DatabaseSync): void {
  for (const ddl of _UPSTREAM_TABLES) db.exec(ddl);
  _addColumns(db, _ADDED_COLUMNS);
  db.exec(_RUNS_TABLE);
  db.exec("CREATE INDEX IF NOT EXISTS runs_started_at ON runs (started_at)");
}

// v2 (docs/state.md "Run history"): timings in epoch ms, what each step was given, and what the run record
// needs to answer "what ran" (env keys that mattered, settings, workspace root, run log file).
const _V2_COLUMNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  job_runs: [["started_at_ms", "INTEGER"], ["ended_at_ms", "INTEGER"]],
  step_runs: [["step_type", "TEXT"], ["inputs_json", "TEXT"], ["started_at_ms", "INTEGER"], [
    "ended_at_ms",
    "INTEGER",
  ]],
  runs: [
    ["started_at_ms", "INTEGER"],
    ["ended_at_ms", "INTEGER"],
    ["invoked_at_ms", "INTEGER"],
    ["env_json", "TEXT"],
    ["settings_json", "TEXT"],
    ["workspace_root", "TEXT"],
    ["log_path", "TEXT"],
  ],
};

function _addColumns(
  db: DatabaseSync,
  columns: Readonly<Record<string, readonly (readonly [string, string])[]>>,
) {
  for (const [table, cols] of Object.entries(columns)) {
    const have = _columnsOf(db, table);
    for (const [name, type] of cols) {
      if (!have.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
    }
  }
}

/** v1 -> v2: run history columns (all nullable: rows written by v1 read as "not recorded"). */
function _toV2(db: DatabaseSync): void {
  _addColumns(db, _V2_COLUMNS);
  db.exec("CREATE INDEX IF NOT EXISTS job_runs_run_id ON job_runs (run_id)");
  db.exec("CREATE INDEX IF NOT EXISTS step_runs_run_id ON step_runs (run_id)");
}

// v3 (docs/fleet.md "Exactly once"): one row per scheduler fire `<item>-<slot>`, claimed by one scheduler.
const _SCHEDULE_FIRES_TABLE = `CREATE TABLE IF NOT EXISTS schedule_fires (
  item_id TEXT NOT NULL, slot_ms INTEGER NOT NULL, run_id TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  claimed_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, finished_at INTEGER, exit_code INTEGER,
  attempts INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (item_id, slot_ms))`;

/** v2 -> v3: the scheduler's fire rows. */
function _toV3(db: DatabaseSync): void {
  db.exec(_SCHEDULE_FIRES_TABLE);
  db.exec(
    "CREATE INDEX IF NOT EXISTS schedule_fires_unfinished ON schedule_fires (item_id) WHERE finished_at IS NULL",
  );
}

// v4 (docs/state.md "Process groups"): the child process group a step runs, recorded before the step reports it
// and deleted once its leader is reaped, so the resume of a killed run finds (and stops) what it left running.
/** The `process_groups` table (the same columns on PostgreSQL, `_pg_migrations.ts`). */
export const PROCESS_GROUPS_COLUMNS = `run_id TEXT NOT NULL, job_id TEXT NOT NULL, step_id TEXT NOT NULL,
  host TEXT NOT NULL, pgid INTEGER NOT NULL, start_ticks BIGINT, boot_id TEXT, runner_pid INTEGER NOT NULL,
  grace_ms BIGINT NOT NULL, started_at_ms BIGINT NOT NULL, PRIMARY KEY (run_id, job_id, step_id)`;

/** v3 -> v4: the process groups steps are running. */
function _toV4(db: DatabaseSync): void {
  db.exec(`CREATE TABLE IF NOT EXISTS process_groups (${PROCESS_GROUPS_COLUMNS})`);
}

// v5 (docs/failure-recovery.md "Resume after the flow changed"): the digest of the step definition that wrote
// each step row, so a resume with an edited flow names the finished steps whose definition changed.
const _V5_COLUMNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  step_runs: [["definition_sha256", "TEXT"]],
};

/** v4 -> v5: `step_runs.definition_sha256` (nullable: rows written before read as "not recorded"). */
function _toV5(db: DatabaseSync): void {
  _addColumns(db, _V5_COLUMNS);
}

/** Migration `i` brings the database from version `i` to `i + 1`. */
export const MIGRATIONS: readonly ((db: DatabaseSync) => void)[] = [_toV1, _toV2, _toV3, _toV4, _toV5];

/** Read `PRAGMA user_version`. */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get();
  return Number(row?.user_version ?? 0);
}

/**
 * Apply every pending migration. The caller holds a write transaction, so two processes opening a fresh
 * file at once migrate it exactly once (the version is re-read inside the transaction).
 */
export function applyMigrations(db: DatabaseSync, from: number): void {
  for (let v = from; v < SCHEMA_VERSION; v++) MIGRATIONS[v]!(db);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}
