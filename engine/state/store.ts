// The SQLite state store (docs/state.md, D14, D15): job/step rows with outputs, the run record, TTL locks.
import { DatabaseSync } from "node:sqlite";
import { dirname, resolve } from "node:path";
import { errorMessage, StateError } from "../errors.ts";
import type { Status } from "../types.ts";
import { applyMigrations, SCHEMA_VERSION, schemaVersion } from "./_migrations.ts";

export { SCHEMA_VERSION };
import { fileIdentity, hostName, makeDirs, pathExists, processAlive, processId } from "./_runtime.ts";
import { boundedJsonColumn, immediate, INPUTS_MAX_BYTES, jsonColumn } from "./_tx.ts";
import { intOrNull, jobRecord, maskText, processGroupRecord, runRecord, stepRecord } from "./_records.ts";
import {
  isRunLeaseKey,
  type LockIdentity,
  releaseLockRow,
  releaseLocksOf,
  renewRunLeaseRow,
  RUN_LEASE_PREFIX,
  runLeaseKey,
  tryAcquireLock,
  tryAcquireRunLease,
} from "./locks.ts";
import { RUN_LEASE_TTL_SECONDS, runBusyMessage, RunLease, type RunLeaseOptions } from "./run_lease.ts";
import { StatementCache } from "./_statements.ts";
import { abortableSleep } from "../clock.ts";
import type { ForceReleaseResult, LockInfo, StateBackend } from "./backend.ts";
import {
  claimFireRow,
  finishFireRow,
  type FireClaim,
  type FireClaimResult,
  type FireRecord,
  type FireTakeover,
  listFireRows,
  releaseFireRow,
  renewFireRow,
  takeOverFireRow,
} from "./fires.ts";
import {
  deleteLockRow,
  deleteRunRows,
  listLockRows,
  type ListRunsOptions,
  listRunsQuery,
  orphanRunIds,
} from "./admin.ts";
import type {
  AcquireLockOptions,
  BeginRunOptions,
  FinishRunOptions,
  JobRecord,
  ProcessGroupKey,
  ProcessGroupRecord,
  RecordProcessGroupOptions,
  RunRecord,
  SetJobStatusOptions,
  SetStepStatusOptions,
  StateStoreOptions,
  StepRecord,
} from "./types.ts";

export type { ForceReleaseResult, LockInfo };

const _DEFAULT_BUSY_MS = 30_000;
const _DEFAULT_TTL_S = 600;
// SQLite's in-memory database (tests, throwaway runs): no file, no parent dirs.
const _MEMORY = ":memory:";

/** The SQLite state store: one connection per process to the state database file (docs/state.md). */
export class StateStore implements StateBackend {
  readonly kind = "sqlite" as const;
  /** Absolute path of the database file. */
  readonly path: string;
  readonly #db: DatabaseSync;
  /** Every statement of the store goes through this cache (one prepare per SQL text per connection). */
  readonly #sql: StatementCache;
  readonly #mask: (s: string) => string;
  readonly #now: () => number;
  readonly #host: string;
  readonly #pid: number;
  readonly #retryMs: number;
  readonly #alive: (pid: number) => boolean;
  /** Tables present at open: a read-only upstream (version 0) database may lack some. */
  readonly #tables: Set<string>;
  /** Device and inode of the file opened (null in memory): a state DB deleted or replaced meanwhile is noticed. */
  readonly #file: string | null;
  #closed = false;

  private constructor(path: string, db: DatabaseSync, options: StateStoreOptions & { tables: Set<string> }) {
    this.#tables = options.tables;
    this.#file = path === _MEMORY ? null : fileIdentity(path);
    this.path = path;
    this.#db = db;
    this.#sql = new StatementCache(db);
    this.#mask = options.mask ?? ((s) => s);
    this.#now = options.now ?? Date.now;
    this.#host = options.host ?? hostName();
    this.#pid = options.pid ?? processId();
    this.#retryMs = options.lockRetryMs ?? 1000;
    this.#alive = options.processAlive ?? processAlive;
  }

  /**
   * Open (creating parent dirs and the file) and migrate the database. Any failure — unreachable path,
   * read-only location, locked past the busy timeout, not a database, newer schema — is a `StateError`
   * naming the file, and leaves the file as it was (migrations run in one transaction).
   * @throws {StateError}
   */
  static open(path: string, options: StateStoreOptions = {}): StateStore {
    const memory = path === _MEMORY;
    const abs = memory ? _MEMORY : resolve(path);
    const readOnly = options.readOnly ?? false;
    if (readOnly && !memory && !pathExists(abs)) throw new StateError(`State database not found: ${abs}`);
    let db: DatabaseSync | undefined;
    try {
      if (!readOnly && !memory) makeDirs(dirname(abs));
      db = new DatabaseSync(abs, { readOnly, timeout: options.busyTimeoutMs ?? _DEFAULT_BUSY_MS });
      _prepare(db, abs, { readOnly, synchronous: options.synchronous ?? "FULL" });
      return new StateStore(abs, db, { ...options, tables: _tableNames(db) });
    } catch (err) {
      try {
        db?.close();
      } catch { /* already failing */ }
      if (err instanceof StateError) throw err;
      throw new StateError(`Cannot open state database ${abs}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Close the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sql.clear();
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- job and step rows (docs/execution-model.md, D4) ----

  getJobRecord(jobId: string, runId: string): JobRecord | null {
    return this.#guard("read job row", () => {
      if (!this.#tables.has("job_runs")) return null;
      const row = this.#sql.prepare("SELECT * FROM job_runs WHERE job_id = ? AND run_id = ?").get(
        jobId,
        runId,
      );
      return row ? jobRecord(row) : null;
    });
  }

  /** INSERT OR REPLACE the job row; text and outputs are masked (D18). */
  setJobStatus(jobId: string, runId: string, status: Status, options: SetJobStatusOptions = {}): void {
    const m = this.#mask;
    this.#guard("write job row", () => {
      this.#sql.prepare(
        `INSERT OR REPLACE INTO job_runs (job_id, run_id, status, updated_at, outputs_json, skip_reason,
           skip_trigger, error, started_at_ms, ended_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        jobId,
        runId,
        status,
        this.#nowSeconds(),
        jsonColumn(options.outputs, m),
        maskText(options.skipReason, m),
        maskText(options.skipTrigger, m),
        maskText(options.error, m),
        intOrNull(options.startedAtMs),
        intOrNull(options.endedAtMs),
      );
    });
  }

  /** Job rows of a run, oldest update first. */
  listJobRecords(runId: string): JobRecord[] {
    return this.#guard(
      "read job rows",
      () =>
        this.#sql.prepare("SELECT * FROM job_runs WHERE run_id = ? ORDER BY updated_at, rowid").all(runId)
          .map(jobRecord),
    );
  }

  getStepRecord(jobId: string, runId: string, stepId: string): StepRecord | null {
    return this.#guard("read step row", () => {
      if (!this.#tables.has("step_runs")) return null;
      const row = this.#sql.prepare("SELECT * FROM step_runs WHERE job_id = ? AND run_id = ? AND step_id = ?")
        .get(jobId, runId, stepId);
      return row ? stepRecord(row) : null;
    });
  }

  /** INSERT OR REPLACE the step row with its output and promoted outputs, masked (D4, D18). */
  setStepStatus(
    jobId: string,
    runId: string,
    stepId: string,
    status: Status,
    options: SetStepStatusOptions = {},
  ): void {
    const m = this.#mask;
    this.#guard("write step row", () => {
      this.#sql.prepare(
        `INSERT OR REPLACE INTO step_runs (job_id, run_id, step_id, status, updated_at, output_json, promoted_json,
           step_type, inputs_json, started_at_ms, ended_at_ms, definition_sha256)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        jobId,
        runId,
        stepId,
        status,
        this.#nowSeconds(),
        jsonColumn(options.output, m),
        jsonColumn(options.promoted, m),
        options.stepType ?? null,
        boundedJsonColumn(options.inputs, m, INPUTS_MAX_BYTES),
        intOrNull(options.startedAtMs),
        intOrNull(options.endedAtMs),
        options.definitionSha256 ?? null,
      );
    });
  }

  /** Step rows of a run (optionally one job), oldest update first. */
  listStepRecords(runId: string, jobId?: string): StepRecord[] {
    return this.#guard("read step rows", () => {
      if (!this.#tables.has("step_runs")) return [];
      const rows = jobId === undefined
        ? this.#sql.prepare("SELECT * FROM step_runs WHERE run_id = ? ORDER BY updated_at, rowid").all(runId)
        : this.#sql.prepare(
          "SELECT * FROM step_runs WHERE run_id = ? AND job_id = ? ORDER BY updated_at, rowid",
        )
          .all(runId, jobId);
      return rows.map(stepRecord);
    });
  }

  // ---- run record (docs/execution-model.md steps 7 and 11, D11, D14) ----

  /** Insert the run record, or on a known run id (resume): invocations + 1, RUNNING, ended_at cleared. */
  beginRun(rec: BeginRunOptions): RunRecord {
    const m = this.#mask;
    const nowMs = Math.trunc(this.#now());
    return this.#guard("write run record", () => {
      const row = this.#sql.prepare(
        `INSERT INTO runs (run_id, flow_id, flow_yaml, flow_sha256, version, status, started_at, ended_at,
           exit_code, invocations, host, pid, plugins_json, bundle_json, error, started_at_ms, invoked_at_ms,
           ended_at_ms, env_json, settings_json, workspace_root, log_path)
         VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, NULL, NULL, 1, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET flow_id = excluded.flow_id, flow_yaml = excluded.flow_yaml,
           flow_sha256 = excluded.flow_sha256, version = excluded.version, status = 'RUNNING', ended_at = NULL,
           exit_code = NULL, invocations = runs.invocations + 1, host = excluded.host, pid = excluded.pid,
           plugins_json = excluded.plugins_json, bundle_json = excluded.bundle_json, error = NULL,
           started_at_ms = coalesce(runs.started_at_ms, excluded.started_at_ms),
           invoked_at_ms = excluded.invoked_at_ms, ended_at_ms = NULL, env_json = excluded.env_json,
           settings_json = excluded.settings_json, workspace_root = excluded.workspace_root,
           log_path = excluded.log_path
         RETURNING *`,
      ).get(
        rec.runId,
        rec.flowId,
        m(rec.flowYaml),
        rec.flowSha256 ?? null,
        rec.version,
        this.#nowSeconds(),
        m(rec.host),
        rec.pid,
        JSON.stringify(
          (rec.plugins ?? []).map((p) => ({ name: m(p.name), version: m(p.version), sha256: p.sha256 })),
        ),
        jsonColumn(rec.bundle ?? null, m),
        nowMs,
        nowMs,
        jsonColumn(rec.env ?? null, m),
        jsonColumn(rec.settings ?? null, m),
        maskText(rec.workspaceRoot, m),
        rec.logPath ?? null,
      );
      return runRecord(row!);
    });
  }

  /** Close the run record: status, exit code, ended_at, masked error. A missing record is left missing. */
  finishRun(runId: string, result: FinishRunOptions): void {
    this.#guard("write run record", () => {
      this.#sql.prepare(
        "UPDATE runs SET status = ?, exit_code = ?, ended_at = ?, ended_at_ms = ?, error = ? WHERE run_id = ?",
      ).run(
        result.status,
        result.exitCode,
        this.#nowSeconds(),
        Math.trunc(this.#now()),
        maskText(result.error, this.#mask),
        runId,
      );
    });
  }

  getRun(runId: string): RunRecord | null {
    return this.#guard("read run record", () => {
      if (!this.#tables.has("runs")) return null;
      const row = this.#sql.prepare("SELECT * FROM runs WHERE run_id = ?").get(runId);
      return row ? runRecord(row) : null;
    });
  }

  /** Run records, newest first, filtered (flow, status, since, limit). */
  listRuns(options: ListRunsOptions = {}): RunRecord[] {
    return this.#guard("read run records", () => {
      if (!this.#tables.has("runs")) return [];
      const { sql, params } = listRunsQuery(options);
      return this.#sql.prepare(sql).all(...params).map(runRecord);
    });
  }

  /** Run ids with job or step rows but no run record (upstream rows), with their latest `updated_at`. */
  listOrphanRunIds(): { runId: string; updatedAt: number }[] {
    return this.#guard("read run ids", () => orphanRunIds(this.#sql, this.#tables));
  }

  /** Delete every row of a run (step rows, job rows, run record) in one transaction. */
  deleteRun(runId: string): number {
    return this.#guard("delete run", () => deleteRunRows(this.#sql, runId, this.#tables));
  }

  // ---- locks (docs/state.md, D15) ----

  /**
   * Take `key` for `owner` (the run id) with this process's host and pid. Fails fast on a held lock unless
   * `waitSeconds` > 0, then retries about once per second until the wait elapses or `signal` aborts.
   */
  async acquireLock(key: string, options: AcquireLockOptions): Promise<boolean> {
    const ttl = options.ttlSeconds ?? _DEFAULT_TTL_S;
    const wait = options.waitSeconds ?? 0;
    if (!Number.isFinite(ttl) || ttl < 0) throw new StateError(`Invalid lock ttl_seconds: ${ttl}`);
    if (!Number.isFinite(wait) || wait < 0) throw new StateError(`Invalid lock wait_seconds: ${wait}`);
    _refuseReserved(key);
    const deadline = performance.now() + wait * 1000;
    for (let attempt = 1;; attempt++) {
      const got = this.#guard("acquire lock", () =>
        tryAcquireLock(this.#sql, key, {
          ...this.#identity(options.owner),
          nowSeconds: this.#nowSeconds(),
          ttlSeconds: Math.floor(ttl),
        }));
      if (got) return true;
      const left = deadline - performance.now();
      if (left <= 0 || options.signal?.aborted) return false;
      options.onRetry?.(attempt);
      await abortableSleep(Math.min(this.#retryMs, left), options.signal);
    }
  }

  /** Release `key` if this owner, host and pid still hold it; returns whether a row was deleted. */
  releaseLock(key: string, owner: string): boolean {
    // A run lease is never released through the with_lock API (it could only have been taken by holdRunLease).
    if (isRunLeaseKey(key)) return false;
    return this.#guard("release lock", () => releaseLockRow(this.#sql, key, this.#identity(owner)));
  }

  /**
   * Release every `with_lock` lock `owner` holds from this process (termination paths, docs/execution-model.md). The run
   * lease is not released here (`releaseRunLease`).
   */
  releaseAllLocks(owner: string): number {
    return this.#guard("release locks", () => releaseLocksOf(this.#sql, this.#identity(owner)));
  }

  /**
   * Every lock row with whether its holder is alive: true/false for a holder on this host with a pid, null
   * when that cannot be told (another host, or an upstream row without host/pid).
   */
  listLocks(): LockInfo[] {
    return this.#guard("read locks", () => {
      if (!this.#tables.has("locks")) return [];
      const now = this.#nowSeconds();
      return listLockRows(this.#sql).map((row) => ({
        ...row,
        expired: row.expiresAt <= now,
        alive: row.host === this.#host && row.pid !== null ? this.#alive(row.pid) : null,
      }));
    });
  }

  /**
   * Release a lock by key for an operator (`locks release`): refused (`released: false`, `refused`) while its
   * holder is alive on this host, unless `force`. Returns null for an unknown key.
   */
  forceReleaseLock(key: string, options: { force?: boolean } = {}): ForceReleaseResult | null {
    return this.#guard("release lock", () => {
      const lock = this.listLocks().find((l) => l.key === key);
      if (lock === undefined) return null;
      if (lock.alive === true && !lock.expired && !options.force) {
        return { lock, released: false, refused: true };
      }
      return { lock, released: deleteLockRow(this.#sql, lock), refused: false };
    });
  }

  // ---- the run lease: one invocation per run id at a time (failure-recovery.md) ----

  /**
   * Take run `runId`'s lease (`run:<runId>`) for this process and keep it fresh with a timer. Taken over when
   * expired, or when its holder is on this host and its pid no longer exists (a SIGKILLed or crashed run).
   * @throws {StateError} `state:run_busy` when another live invocation holds it; nothing else is written.
   */
  holdRunLease(runId: string, options: RunLeaseOptions = {}): RunLease {
    const ttl = options.ttlSeconds ?? RUN_LEASE_TTL_SECONDS;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new StateError(`Invalid run lease ttl: ${ttl}`);
    const holder = this.#guard("take run lease", () =>
      tryAcquireRunLease(this.#sql, {
        ...this.#identity(runId),
        nowSeconds: this.#nowSeconds(),
        ttlSeconds: Math.ceil(ttl),
      }, this.#alive));
    if (holder !== null) throw new StateError(runBusyMessage(runId, holder), { code: "state:run_busy" });
    return new RunLease(this, runId, { ...options, ttlSeconds: Math.ceil(ttl) });
  }

  /**
   * Extend this process's lease of `runId` to now + ttl. When the row is gone (expired and cleared by another
   * acquirer) it is taken again if free. Returns whether this process holds the lease afterwards.
   */
  renewRunLease(runId: string, ttlSeconds: number): boolean {
    return this.#guard("renew run lease", () => {
      const lease = { nowSeconds: this.#nowSeconds(), ttlSeconds };
      if (renewRunLeaseRow(this.#sql, this.#identity(runId), lease)) return true;
      return tryAcquireRunLease(this.#sql, { ...this.#identity(runId), ...lease }, this.#alive) === null;
    });
  }

  /** Delete `runId`'s lease if this process holds it; returns whether a row was deleted. */
  releaseRunLease(runId: string): boolean {
    return this.#guard(
      "release run lease",
      () => releaseLockRow(this.#sql, runLeaseKey(runId), this.#identity(runId)),
    );
  }

  // ---- process groups steps run (docs/state.md "Process groups") ----

  /** Record (replace) a step's child process group with this store's host and pid; on disk when it returns. */
  recordProcessGroup(group: RecordProcessGroupOptions): void {
    this.#guard("record process group", () => {
      this.#sql.prepare(
        `INSERT OR REPLACE INTO process_groups (run_id, job_id, step_id, host, pgid, start_ticks, boot_id,
           runner_pid, grace_ms, started_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        group.runId,
        group.jobId,
        group.stepId,
        this.#host,
        group.pgid,
        intOrNull(group.startTicks),
        group.bootId ?? null,
        this.#pid,
        Math.max(0, Math.trunc(group.graceMs)),
        Math.trunc(this.#now()),
      );
    });
  }

  /** Delete the row of `key` when it still names that pgid; returns whether a row was deleted. */
  clearProcessGroup(key: ProcessGroupKey): boolean {
    return this.#guard("clear process group", () => {
      const res = this.#sql.prepare(
        "DELETE FROM process_groups WHERE run_id = ? AND job_id = ? AND step_id = ? AND pgid = ?",
      ).run(key.runId, key.jobId, key.stepId, key.pgid);
      return Number(res.changes) > 0;
    });
  }

  /** The recorded process groups of `runId`, oldest first (none in a database older than schema v4). */
  listProcessGroups(runId: string): ProcessGroupRecord[] {
    return this.#guard("read process groups", () => {
      if (!this.#tables.has("process_groups")) return [];
      return this.#sql.prepare(
        "SELECT * FROM process_groups WHERE run_id = ? ORDER BY started_at_ms, rowid",
      ).all(runId).map(processGroupRecord);
    });
  }

  // ---- scheduler fires (docs/fleet.md "Exactly once") ----

  /** Claim `<item>-<slot>` for this scheduler (refused when taken, or when the item has an unfinished fire). */
  claimFire(claim: FireClaim): FireClaimResult {
    return this.#guard(
      "claim fire",
      () =>
        claimFireRow(this.#sql, {
          ...claim,
          host: this.#host,
          pid: this.#pid,
          nowSeconds: this.#nowSeconds(),
        }),
    );
  }

  /** Extend this scheduler's unfinished claim to now + ttl; false when it is no longer ours. */
  renewFire(itemId: string, slotMs: number, ttlSeconds: number): boolean {
    return this.#guard(
      "renew fire",
      () =>
        renewFireRow(this.#sql, { itemId, slotMs, host: this.#host, pid: this.#pid }, {
          nowSeconds: this.#nowSeconds(),
          ttlSeconds,
        }),
    );
  }

  /** Record the exit code of this scheduler's claim. */
  finishFire(itemId: string, slotMs: number, exitCode: number): boolean {
    return this.#guard(
      "finish fire",
      () =>
        finishFireRow(this.#sql, { itemId, slotMs, host: this.#host, pid: this.#pid }, {
          nowSeconds: this.#nowSeconds(),
          exitCode,
        }),
    );
  }

  /** Give this scheduler's claim up unfinished, for another scheduler to take over. */
  releaseFire(itemId: string, slotMs: number): boolean {
    return this.#guard(
      "release fire",
      () =>
        releaseFireRow(this.#sql, { itemId, slotMs, host: this.#host, pid: this.#pid }, this.#nowSeconds()),
    );
  }

  /** Take over the oldest abandoned (expired, unfinished, run lease free) claim of these items. */
  takeOverFire(takeover: FireTakeover): FireRecord | null {
    return this.#guard("take over fire", () =>
      takeOverFireRow(this.#sql, {
        ...takeover,
        host: this.#host,
        pid: this.#pid,
        nowSeconds: this.#nowSeconds(),
      }));
  }

  listFires(options: { itemId?: string; unfinished?: boolean } = {}): FireRecord[] {
    return this.#guard("read fires", () => {
      if (!this.#tables.has("schedule_fires")) return [];
      return listFireRows(this.#sql, options);
    });
  }

  /** The host id this store records with locks, leases and fires. */
  get host(): string {
    return this.#host;
  }

  /** The pid this store records as the owner of what this process holds. */
  get pid(): number {
    return this.#pid;
  }

  #identity(owner: string): LockIdentity {
    return { owner, host: this.#host, pid: this.#pid };
  }

  #nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  /** Every failure of a state operation is a StateError naming the file (docs/cli.md: exit 1). */
  #guard<T>(what: string, fn: () => T): T {
    if (this.#closed) throw new StateError(`State database ${this.path} is closed: cannot ${what}`);
    // SQLite keeps writing to an open file that was deleted (or renamed over): everything recorded from then
    // on would be lost without a word. One stat per operation notices it (docs/state.md).
    if (this.#file !== null && fileIdentity(this.path) !== this.#file) {
      throw new StateError(
        `State database ${this.path} was deleted or replaced while this process used it: cannot ${what}; ` +
          "what was recorded is gone, so this run stops",
        { code: "state:db_replaced" },
      );
    }
    try {
      return fn();
    } catch (err) {
      if (err instanceof StateError) throw err;
      throw new StateError(`State database ${this.path}: cannot ${what}: ${this.#mask(errorMessage(err))}`, {
        cause: err,
      });
    }
  }
}

function _prepare(
  db: DatabaseSync,
  path: string,
  options: { readOnly: boolean; synchronous: "FULL" | "NORMAL" },
): void {
  // Read the version first: a corrupt or newer file fails here, before anything is written.
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) throw _newerError(found, path);
  // Read-only (inspection): an older schema is read as it is; missing tables read as empty.
  if (options.readOnly) return;
  const mode = db.prepare("PRAGMA journal_mode").get();
  if (String(mode?.journal_mode).toLowerCase() !== "wal") db.prepare("PRAGMA journal_mode = WAL").get();
  db.exec(`PRAGMA synchronous = ${options.synchronous}`);
  if (found === SCHEMA_VERSION) return;
  immediate(db, () => {
    // Re-read inside the write transaction: another process may have migrated meanwhile.
    const v = schemaVersion(db);
    if (v > SCHEMA_VERSION) throw _newerError(v, path);
    if (v < SCHEMA_VERSION) applyMigrations(db, v);
  });
}

function _tableNames(db: DatabaseSync): Set<string> {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
  return new Set(rows.map((r) => String(r.name)));
}

function _newerError(found: number, path: string): StateError {
  return new StateError(
    `State database schema version ${found} is newer than supported (${SCHEMA_VERSION}): ${path}`,
    { code: "state:schema_newer" },
  );
}

/** `with_lock` keys may not enter the run-lease namespace: `run:<id>` would block (or be) that run's lease. */
function _refuseReserved(key: string): void {
  if (isRunLeaseKey(key)) {
    throw new StateError(
      `Lock key ${JSON.stringify(key)} is reserved: keys starting with "${RUN_LEASE_PREFIX}" are run leases`,
      { code: "state:reserved_lock_key" },
    );
  }
}
