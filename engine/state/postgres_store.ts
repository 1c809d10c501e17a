/**
 * The PostgreSQL state store (docs/state.md "PostgreSQL", docs/fleet.md): the same tables, records and rules as
 * the SQLite store, in one database shared by many hosts. Driver: npm `postgres` (porsager), loaded lazily.
 *
 * Every expiry (locks, run leases, scheduler fires) and every timestamp the store writes itself comes from the
 * database's clock, in the statement that decides, so clock skew between hosts cannot make two holders.
 * One connection per process; a lost connection is re-opened on the next call, and a call that fails is a
 * `StateError` naming the URL without its password.
 * @module
 */
import type postgres from "postgres";
import { errorMessage, StateError } from "../errors.ts";
import type { Status } from "../types.ts";
import { abortableSleep } from "../clock.ts";
import { SCHEMA_VERSION } from "./_migrations.ts";
import { applyPgMigrations, PG_VERSION_TABLE } from "./_pg_migrations.ts";
import { hostName, processAlive, processId } from "./_runtime.ts";
import { boundedJsonColumn, INPUTS_MAX_BYTES, jsonColumn } from "./_tx.ts";
import {
  intOrNull,
  jobRecord,
  lockRow,
  maskText,
  processGroupRecord,
  runRecord,
  stepRecord,
} from "./_records.ts";
import type { ListRunsOptions } from "./admin.ts";
import type { Awaitable, ForceReleaseResult, LockInfo, StateBackend } from "./backend.ts";
import {
  type FireClaim,
  type FireClaimResult,
  type FireRecord,
  fireRecord,
  type FireTakeover,
} from "./fires.ts";
import { isRunLeaseKey, type LockHolder, RUN_LEASE_PREFIX, runLeaseKey } from "./locks.ts";
import { RUN_LEASE_TTL_SECONDS, runBusyMessage, RunLease, type RunLeaseOptions } from "./run_lease.ts";
import { DEFAULT_PG_SCHEMA, redactUrl, schemaNameProblem, urlSecrets } from "./target.ts";
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
  StepRecord,
  StepStatusWrite,
} from "./types.ts";

type _Sql = postgres.Sql<Record<string, postgres.PostgresType>>;
type _Tx = postgres.TransactionSql<Record<string, postgres.PostgresType>>;
type _Query = (text: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;
type _Row = Record<string, unknown>;

/** The tables `state migrate` copies, and their keys. */
export type ImportTable = "runs" | "job_runs" | "step_runs" | "schedule_fires";
export const IMPORT_KEYS: Readonly<Record<ImportTable, readonly string[]>> = {
  runs: ["run_id"],
  job_runs: ["job_id", "run_id"],
  step_runs: ["job_id", "run_id", "step_id"],
  schedule_fires: ["item_id", "slot_ms"],
};

/** Open options; the test hooks mirror the SQLite store's. */
export interface PostgresStoreOptions {
  /** Tables live in this schema (created when missing); default `public`. */
  schema?: string;
  /** Applied to every text/JSON value written (D18). */
  mask?: (s: string) => string;
  /** Open an initialised database without creating, migrating or writing anything. */
  readOnly?: boolean;
  /** Identity recorded with locks, leases and fires; default this host and pid. */
  host?: string;
  pid?: number;
  /** Delay between lock retries while waiting; default 1000 ms. */
  lockRetryMs?: number;
  /** Whether a pid exists on this host (run-lease takeover). Default `kill(pid, 0)`. */
  processAlive?: (pid: number) => boolean;
  /** Seconds to connect before failing; default 10. */
  connectTimeoutSeconds?: number;
  /** A call without an answer for this long fails (the server or the network is gone); default 30 000 ms. */
  callTimeoutMs?: number;
  /** Tests only: shift the database clock by this many seconds (the authority stays the server's clock). */
  clockOffsetSeconds?: () => number;
}

const _DEFAULT_TTL_S = 600;
// Namespace of the advisory locks this store takes (migrations, fire claims): "aeth" in ASCII.
const _ADVISORY_NS = 0x61657468;

/** One connection per process to a PostgreSQL state database. */
export class PostgresStateStore implements StateBackend {
  readonly kind = "postgres" as const;
  /** The URL without its password (shown in messages and `--json` outputs). */
  readonly path: string;
  readonly schema: string;
  #sql: _Sql;
  /** A new client (same options): a connection that failed is replaced, not reused. */
  readonly #connect: () => _Sql;
  readonly #mask: (s: string) => string;
  readonly #host: string;
  readonly #pid: number;
  readonly #retryMs: number;
  readonly #alive: (pid: number) => boolean;
  readonly #readOnly: boolean;
  readonly #timeoutMs: number;
  readonly #offset: () => number;
  #closed = false;

  private constructor(connect: () => _Sql, shown: string, schema: string, options: PostgresStoreOptions) {
    this.#connect = connect;
    this.#sql = connect();
    this.path = shown;
    this.schema = schema;
    this.#mask = options.mask ?? ((s) => s);
    this.#host = options.host ?? hostName();
    this.#pid = options.pid ?? processId();
    this.#retryMs = options.lockRetryMs ?? 1000;
    this.#alive = options.processAlive ?? processAlive;
    this.#readOnly = options.readOnly ?? false;
    this.#timeoutMs = options.callTimeoutMs ?? 30_000;
    this.#offset = options.clockOffsetSeconds ?? (() => 0);
  }

  /**
   * Connect, check the schema version and migrate (in one transaction, under an advisory lock, so hosts opening
   * a fresh database at once migrate it exactly once). A newer version is refused; read-only opens require an
   * initialised database. Failures are `StateError`s naming the URL without its password.
   * @throws {StateError}
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStateStore> {
    const schema = options.schema ?? DEFAULT_PG_SCHEMA;
    const secrets = urlSecrets(url);
    const outer = options.mask ?? ((s: string) => s);
    const mask = (s: string) => secrets.reduce((acc, x) => acc.replaceAll(x, "***"), outer(s));
    const shown = schema === DEFAULT_PG_SCHEMA ? redactUrl(url) : `${redactUrl(url)} (schema ${schema})`;
    const problem = schemaNameProblem(schema);
    if (problem) throw new StateError(`Invalid PostgreSQL schema for ${shown}: ${problem}`);
    let store: PostgresStateStore | undefined;
    try {
      const { default: postgres } = await import("postgres");
      const connectS = options.connectTimeoutSeconds ?? 10;
      const tcp = _singleTcpHost(url);
      const connect = () =>
        postgres(
          url,
          {
            max: 1,
            // CREATE … IF NOT EXISTS raises NOTICEs; the driver would print them.
            onnotice: () => {},
            fetch_types: false,
            connect_timeout: connectS,
            connection: { application_name: "aetherflow", search_path: schema },
            // int8 columns (times, sequence numbers) as numbers: every value we store is a safe integer.
            types: {
              bigint: {
                to: 20,
                from: [20],
                serialize: (x: number) => String(x),
                parse: (x: string) => Number(x),
              },
            },
            ...(tcp ? { socket: () => _noDelaySocket(tcp.host, tcp.port, connectS) } : {}),
          } as Parameters<typeof postgres>[1],
        ) as unknown as _Sql;
      store = new PostgresStateStore(connect, shown, schema, { ...options, mask });
      await store.#prepare();
      return store;
    } catch (err) {
      await store?.close();
      if (err instanceof StateError) throw err;
      throw new StateError(`Cannot open state database ${shown}: ${mask(errorMessage(err))}`, { cause: err });
    }
  }

  async #prepare(): Promise<void> {
    const found = await this.#call("read schema version", () => this.#version(this.#q));
    if (found > SCHEMA_VERSION) throw this.#newerError(found);
    if (this.#readOnly) {
      if (found === 0) {
        throw new StateError(`State database not initialised: no aetherflow tables in ${this.path}`, {
          code: "state:not_found",
        });
      }
      return;
    }
    if (found === SCHEMA_VERSION) return;
    await this.#call("migrate schema", () =>
      this.#tx(async (q) => {
        // The lock first: CREATE SCHEMA IF NOT EXISTS races with itself across sessions.
        await q(`SELECT pg_advisory_xact_lock(${_ADVISORY_NS}, 0)`);
        if (this.schema !== DEFAULT_PG_SCHEMA) await q(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        // Re-read under the lock: another host may have migrated meanwhile.
        const v = await this.#version(q);
        if (v > SCHEMA_VERSION) throw this.#newerError(v);
        if (v < SCHEMA_VERSION) await applyPgMigrations((s) => q(s), v);
      }));
  }

  async #version(q: _Query): Promise<number> {
    const rows = await q(
      `SELECT to_regclass($1) IS NOT NULL AS present`,
      [`${this.schema}.${PG_VERSION_TABLE}`],
    );
    if (!rows[0]?.present) return 0;
    const v = await q(`SELECT max(version) AS version FROM ${PG_VERSION_TABLE}`);
    return Number(v[0]?.version ?? 0);
  }

  #newerError(found: number): StateError {
    return new StateError(
      `State database schema version ${found} is newer than supported (${SCHEMA_VERSION}): ${this.path}`,
      { code: "state:schema_newer" },
    );
  }

  /** Close the connection (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sql.end({ timeout: 5 }).catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get host(): string {
    return this.#host;
  }

  get pid(): number {
    return this.#pid;
  }

  // ---- job and step rows ----

  async getJobRecord(jobId: string, runId: string): Promise<JobRecord | null> {
    const rows = await this.#read(
      "read job row",
      "SELECT * FROM job_runs WHERE job_id = $1 AND run_id = $2",
      [
        jobId,
        runId,
      ],
    );
    return rows[0] ? jobRecord(rows[0]) : null;
  }

  async setJobStatus(
    jobId: string,
    runId: string,
    status: Status,
    options: SetJobStatusOptions = {},
  ): Promise<void> {
    const m = this.#mask;
    await this.#write(
      "write job row",
      `INSERT INTO job_runs (job_id, run_id, status, updated_at, outputs_json, skip_reason, skip_trigger, error,
         started_at_ms, ended_at_ms, seq) VALUES ($1, $2, $3, ${this.#nowS()}, $4, $5, $6, $7, $8, $9,
         nextval('state_write_seq'))
       ON CONFLICT (job_id, run_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
         outputs_json = excluded.outputs_json, skip_reason = excluded.skip_reason,
         skip_trigger = excluded.skip_trigger, error = excluded.error, started_at_ms = excluded.started_at_ms,
         ended_at_ms = excluded.ended_at_ms, seq = excluded.seq`,
      [
        jobId,
        runId,
        status,
        jsonColumn(options.outputs, m),
        _text(options.skipReason, m),
        _text(options.skipTrigger, m),
        _text(options.error, m),
        intOrNull(options.startedAtMs),
        intOrNull(options.endedAtMs),
      ],
    );
  }

  async listJobRecords(runId: string): Promise<JobRecord[]> {
    const rows = await this.#read(
      "read job rows",
      "SELECT * FROM job_runs WHERE run_id = $1 ORDER BY updated_at, seq",
      [runId],
    );
    return rows.map(jobRecord);
  }

  async getStepRecord(jobId: string, runId: string, stepId: string): Promise<StepRecord | null> {
    const rows = await this.#read(
      "read step row",
      "SELECT * FROM step_runs WHERE job_id = $1 AND run_id = $2 AND step_id = $3",
      [jobId, runId, stepId],
    );
    return rows[0] ? stepRecord(rows[0]) : null;
  }

  async setStepStatus(
    jobId: string,
    runId: string,
    stepId: string,
    status: Status,
    options: SetStepStatusOptions = {},
  ): Promise<void> {
    await this.setStepStatuses([{ ...options, jobId, runId, stepId, status }]);
  }

  /**
   * Several step rows in one statement (one round trip, one transaction): each row as `setStepStatus` writes it,
   * `seq` in the order given. A step key given twice is written in order by one statement each, in one
   * transaction (an upsert cannot change the same row twice).
   */
  async setStepStatuses(rows: readonly StepStatusWrite[]): Promise<void> {
    if (rows.length === 0) return;
    const keys = new Set(rows.map((r) => JSON.stringify([r.jobId, r.runId, r.stepId])));
    if (keys.size === rows.length) {
      await this.#write("write step row", ...this.#stepUpsert(rows));
      return;
    }
    if (this.#readOnly) {
      throw new StateError(`State database ${this.path} is open read-only: cannot write step row`);
    }
    await this.#call("write step row", () =>
      this.#tx(async (q) => {
        for (const row of rows) await q(...this.#stepUpsert([row]));
      }));
  }

  #stepUpsert(rows: readonly StepStatusWrite[]): [string, unknown[]] {
    const m = this.#mask;
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      const at = params.length;
      params.push(
        r.jobId,
        r.runId,
        r.stepId,
        r.status,
        jsonColumn(r.output, m),
        jsonColumn(r.promoted, m),
        r.stepType ?? null,
        boundedJsonColumn(r.inputs, m, INPUTS_MAX_BYTES),
        intOrNull(r.startedAtMs),
        intOrNull(r.endedAtMs),
        r.definitionSha256 ?? null,
      );
      const p = (from: number, to: number) =>
        Array.from({ length: to - from + 1 }, (_, i) => `$${at + from + i}`).join(", ");
      // job_id … status, updated_at (the database clock), output_json … definition_sha256, seq.
      return `(${p(1, 4)}, ${this.#nowS()}, ${p(5, 11)}, nextval('state_write_seq'))`;
    });
    // VALUES rows are computed in order, so `seq` follows the order given.
    return [
      `INSERT INTO step_runs (job_id, run_id, step_id, status, updated_at, output_json, promoted_json, step_type,
         inputs_json, started_at_ms, ended_at_ms, definition_sha256, seq) VALUES ${tuples.join(", ")}
       ON CONFLICT (job_id, run_id, step_id) DO UPDATE SET status = excluded.status,
         updated_at = excluded.updated_at, output_json = excluded.output_json,
         promoted_json = excluded.promoted_json, step_type = excluded.step_type,
         inputs_json = excluded.inputs_json, started_at_ms = excluded.started_at_ms,
         ended_at_ms = excluded.ended_at_ms, definition_sha256 = excluded.definition_sha256, seq = excluded.seq`,
      params,
    ];
  }

  async listStepRecords(runId: string, jobId?: string): Promise<StepRecord[]> {
    const rows = jobId === undefined
      ? await this.#read(
        "read step rows",
        "SELECT * FROM step_runs WHERE run_id = $1 ORDER BY updated_at, seq",
        [runId],
      )
      : await this.#read(
        "read step rows",
        "SELECT * FROM step_runs WHERE run_id = $1 AND job_id = $2 ORDER BY updated_at, seq",
        [runId, jobId],
      );
    return rows.map(stepRecord);
  }

  // ---- run records ----

  async beginRun(rec: BeginRunOptions): Promise<RunRecord> {
    const m = this.#mask;
    const rows = await this.#write(
      "write run record",
      `INSERT INTO runs (run_id, flow_id, flow_yaml, flow_sha256, version, status, started_at, ended_at, exit_code,
         invocations, host, pid, plugins_json, bundle_json, error, started_at_ms, invoked_at_ms, ended_at_ms,
         env_json, settings_json, workspace_root, log_path)
       VALUES ($1, $2, $3, $4, $5, 'RUNNING', ${this.#nowS()}, NULL, NULL, 1, $6, $7, $8, $9, NULL,
         ${this.#nowMs()}, ${this.#nowMs()}, NULL, $10, $11, $12, $13)
       ON CONFLICT (run_id) DO UPDATE SET flow_id = excluded.flow_id, flow_yaml = excluded.flow_yaml,
         flow_sha256 = excluded.flow_sha256, version = excluded.version, status = 'RUNNING', ended_at = NULL,
         exit_code = NULL, invocations = runs.invocations + 1, host = excluded.host, pid = excluded.pid,
         plugins_json = excluded.plugins_json, bundle_json = excluded.bundle_json, error = NULL,
         started_at_ms = coalesce(runs.started_at_ms, excluded.started_at_ms),
         invoked_at_ms = excluded.invoked_at_ms, ended_at_ms = NULL, env_json = excluded.env_json,
         settings_json = excluded.settings_json, workspace_root = excluded.workspace_root,
         log_path = excluded.log_path
       RETURNING *`,
      [
        rec.runId,
        rec.flowId,
        _text(rec.flowYaml, m),
        rec.flowSha256 ?? null,
        rec.version,
        _text(rec.host, m),
        rec.pid,
        JSON.stringify(
          (rec.plugins ?? []).map((p) => ({ name: m(p.name), version: m(p.version), sha256: p.sha256 })),
        ),
        jsonColumn(rec.bundle ?? null, m),
        jsonColumn(rec.env ?? null, m),
        jsonColumn(rec.settings ?? null, m),
        _text(rec.workspaceRoot, m),
        _text(rec.logPath, (s) => s),
      ],
    );
    return runRecord(rows[0]!);
  }

  async finishRun(runId: string, result: FinishRunOptions): Promise<void> {
    await this.#write(
      "write run record",
      `UPDATE runs SET status = $1, exit_code = $2, ended_at = ${this.#nowS()}, ended_at_ms = ${this.#nowMs()},
         error = $3 WHERE run_id = $4`,
      [result.status, result.exitCode, _text(result.error, this.#mask), runId],
    );
  }

  async getRun(runId: string): Promise<RunRecord | null> {
    const rows = await this.#read("read run record", "SELECT * FROM runs WHERE run_id = $1", [runId]);
    return rows[0] ? runRecord(rows[0]) : null;
  }

  async listRuns(options: ListRunsOptions = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (cond: string, value: unknown) => {
      params.push(value);
      where.push(cond.replace("?", `$${params.length}`));
    };
    if (options.flowId !== undefined) add("flow_id = ?", options.flowId);
    if (options.status !== undefined) add("status = ?", options.status);
    if (options.sinceSeconds !== undefined) add("started_at >= ?", Math.floor(options.sinceSeconds));
    const clause = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
    const limit = options.limit === undefined ? "" : ` LIMIT ${Math.max(0, Math.trunc(options.limit))}`;
    const rows = await this.#read(
      "read run records",
      `SELECT * FROM runs${clause} ORDER BY started_at DESC, seq DESC${limit}`,
      params,
    );
    return rows.map(runRecord);
  }

  async listOrphanRunIds(): Promise<{ runId: string; updatedAt: number }[]> {
    const rows = await this.#read(
      "read run ids",
      `SELECT run_id, max(updated_at) AS updated_at FROM
         (SELECT run_id, updated_at FROM job_runs UNION ALL SELECT run_id, updated_at FROM step_runs) r
       WHERE run_id NOT IN (SELECT run_id FROM runs) GROUP BY run_id ORDER BY max(updated_at)`,
    );
    return rows.map((r) => ({ runId: String(r.run_id), updatedAt: Number(r.updated_at) }));
  }

  async deleteRun(runId: string): Promise<number> {
    return await this.#call("delete run", () =>
      this.#tx(async (q) => {
        let n = 0;
        for (const table of ["step_runs", "job_runs", "runs"]) {
          n += (await q(`DELETE FROM ${table} WHERE run_id = $1 RETURNING 1`, [runId])).length;
        }
        return n;
      }));
  }

  // ---- state migrate (docs/state.md "Moving to PostgreSQL") ----

  /**
   * Upsert rows as they are (no masking, no clock: they come from another state store) into the history tables,
   * all in one transaction: a row with the same key is replaced, so a second import of the same rows changes
   * nothing. Columns the destination does not have are refused; `seq` follows the order given.
   * @throws {StateError}
   */
  async importRows(tables: readonly { table: ImportTable; rows: readonly _Row[] }[]): Promise<void> {
    if (this.#readOnly) {
      throw new StateError(`State database ${this.path} is open read-only: cannot import rows`);
    }
    await this.#call("import rows", () =>
      this.#tx(async (q) => {
        for (const { table, rows } of tables) {
          if (rows.length === 0) continue;
          const have = new Set(
            (await q(
              "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2",
              [this.schema, table],
            )).map((r) => String(r.column_name)),
          );
          const columns = Object.keys(rows[0]!).filter((c) => c !== "seq");
          const unknown = columns.filter((c) => !have.has(c));
          if (unknown.length > 0) {
            throw new StateError(`${this.path}: table ${table} has no column(s) ${unknown.join(", ")}`);
          }
          const keys = IMPORT_KEYS[table];
          const update = columns.filter((c) => !keys.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
          // At most ~30 000 parameters per statement (the protocol allows 65 535).
          const per = Math.max(1, Math.floor(30_000 / columns.length));
          for (let i = 0; i < rows.length; i += per) {
            const chunk = rows.slice(i, i + per);
            const params: unknown[] = [];
            const tuples = chunk.map((row) =>
              `(${
                columns.map((c) => {
                  const v = row[c];
                  params.push(typeof v === "string" ? v.replaceAll("\u0000", "\uFFFD") : v ?? null);
                  return `$${params.length}`;
                }).join(", ")
              })`
            );
            await q(
              `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")} ` +
                `ON CONFLICT (${keys.join(", ")}) DO ${
                  update.length > 0 ? `UPDATE SET ${update.join(", ")}` : "NOTHING"
                }`,
              params,
            );
          }
        }
      }));
  }

  /** Every row of a history table, as stored (for `state migrate`'s verification). */
  async exportRows(table: ImportTable): Promise<_Row[]> {
    const order = table === "schedule_fires" ? "item_id, slot_ms" : "seq";
    return await this.#read(`read ${table}`, `SELECT * FROM ${table} ORDER BY ${order}`);
  }

  // ---- with_lock locks (D15) ----

  async acquireLock(key: string, options: AcquireLockOptions): Promise<boolean> {
    const ttl = options.ttlSeconds ?? _DEFAULT_TTL_S;
    const wait = options.waitSeconds ?? 0;
    if (!Number.isFinite(ttl) || ttl < 0) throw new StateError(`Invalid lock ttl_seconds: ${ttl}`);
    if (!Number.isFinite(wait) || wait < 0) throw new StateError(`Invalid lock wait_seconds: ${wait}`);
    if (isRunLeaseKey(key)) {
      throw new StateError(
        `Lock key ${
          JSON.stringify(key)
        } is reserved: keys starting with "${RUN_LEASE_PREFIX}" are run leases`,
        { code: "state:reserved_lock_key" },
      );
    }
    const deadline = performance.now() + wait * 1000;
    for (let attempt = 1;; attempt++) {
      const got = await this.#call("acquire lock", async () => {
        // Two statements pipelined on the one connection: expired rows of any key go first (D15), then the
        // insert, whose primary key decides between contenders.
        const [, inserted] = await Promise.all([
          this.#q(`DELETE FROM locks WHERE expires_at <= ${this.#nowS()}`),
          this.#q(
            `INSERT INTO locks (key, owner, expires_at, host, pid) VALUES ($1, $2, ${this.#nowS()} + $3::bigint,
               $4, $5) ON CONFLICT (key) DO NOTHING RETURNING key`,
            [key, options.owner, Math.floor(ttl), this.#host, this.#pid],
          ),
        ]);
        return inserted.length === 1;
      });
      if (got) return true;
      const left = deadline - performance.now();
      if (left <= 0 || options.signal?.aborted) return false;
      options.onRetry?.(attempt);
      await abortableSleep(Math.min(this.#retryMs, left), options.signal);
    }
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    if (isRunLeaseKey(key)) return false;
    return await this.#deleteHeld("release lock", key, owner);
  }

  async releaseAllLocks(owner: string): Promise<number> {
    const rows = await this.#write(
      "release locks",
      `DELETE FROM locks WHERE owner = $1 AND host = $2 AND pid = $3 AND left(key, ${RUN_LEASE_PREFIX.length}) <> $4
       RETURNING 1`,
      [owner, this.#host, this.#pid, RUN_LEASE_PREFIX],
    );
    return rows.length;
  }

  async listLocks(): Promise<LockInfo[]> {
    const rows = await this.#read(
      "read locks",
      `SELECT key, owner, host, pid, expires_at, expires_at <= ${this.#nowS()} AS expired FROM locks ORDER BY key`,
    );
    return rows.map((r) => {
      const row = lockRow(r);
      return {
        ...row,
        expired: Boolean(r.expired),
        alive: row.host === this.#host && row.pid !== null ? this.#alive(row.pid) : null,
      };
    });
  }

  async forceReleaseLock(key: string, options: { force?: boolean } = {}): Promise<ForceReleaseResult | null> {
    const lock = (await this.listLocks()).find((l) => l.key === key);
    if (lock === undefined) return null;
    if (lock.alive === true && !lock.expired && !options.force) {
      return { lock, released: false, refused: true };
    }
    const rows = await this.#write(
      "release lock",
      `DELETE FROM locks WHERE key = $1 AND owner = $2 AND host IS NOT DISTINCT FROM $3
         AND pid IS NOT DISTINCT FROM $4 AND expires_at = $5 RETURNING 1`,
      [lock.key, lock.owner, lock.host, lock.pid, lock.expiresAt],
    );
    return { lock, released: rows.length === 1, refused: false };
  }

  // ---- run lease ----

  async holdRunLease(runId: string, options: RunLeaseOptions = {}): Promise<RunLease> {
    const ttl = options.ttlSeconds ?? RUN_LEASE_TTL_SECONDS;
    if (!Number.isFinite(ttl) || ttl <= 0) throw new StateError(`Invalid run lease ttl: ${ttl}`);
    const holder = await this.#call("take run lease", () => this.#tryRunLease(runId, Math.ceil(ttl)));
    if (holder !== null) throw new StateError(runBusyMessage(runId, holder), { code: "state:run_busy" });
    return new RunLease(this, runId, { ...options, ttlSeconds: Math.ceil(ttl) });
  }

  async renewRunLease(runId: string, ttlSeconds: number): Promise<boolean> {
    return await this.#call("renew run lease", async () => {
      const renewed = await this.#q(
        `UPDATE locks SET expires_at = ${this.#nowS()} + $1::bigint WHERE key = $2 AND owner = $3 AND host = $4
           AND pid = $5 RETURNING 1`,
        [ttlSeconds, runLeaseKey(runId), runId, this.#host, this.#pid],
      );
      if (renewed.length === 1) return true;
      return (await this.#tryRunLease(runId, ttlSeconds)) === null;
    });
  }

  async releaseRunLease(runId: string): Promise<boolean> {
    return await this.#deleteHeld("release run lease", runLeaseKey(runId), runId);
  }

  /**
   * One attempt at run `runId`'s lease, in one transaction: expired rows go; a holder on this host whose pid is
   * gone is taken over at once; any other holder is respected until the database's clock passes its expiry.
   * Returns null when acquired, else the holder.
   */
  #tryRunLease(runId: string, ttlSeconds: number): Promise<LockHolder | null> {
    const key = runLeaseKey(runId);
    return this.#tx(async (q) => {
      await q(`DELETE FROM locks WHERE expires_at <= ${this.#nowS()}`);
      const held = await q("SELECT owner, host, pid, expires_at FROM locks WHERE key = $1 FOR UPDATE", [key]);
      const h = held[0] ? lockRow(held[0]) : null;
      if (
        h !== null && h.host === this.#host && h.pid !== null && h.pid !== this.#pid && !this.#alive(h.pid)
      ) {
        await q("DELETE FROM locks WHERE key = $1 AND host = $2 AND pid = $3", [key, h.host, h.pid]);
      }
      const inserted = await q(
        `INSERT INTO locks (key, owner, expires_at, host, pid) VALUES ($1, $2, ${this.#nowS()} + $3::bigint, $4, $5)
         ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, runId, ttlSeconds, this.#host, this.#pid],
      );
      if (inserted.length === 1) return null;
      const now = await q("SELECT owner, host, pid, expires_at FROM locks WHERE key = $1", [key]);
      return now[0] ? lockRow(now[0]) : null;
    });
  }

  async #deleteHeld(what: string, key: string, owner: string): Promise<boolean> {
    const rows = await this.#write(
      what,
      "DELETE FROM locks WHERE key = $1 AND owner = $2 AND host = $3 AND pid = $4 RETURNING 1",
      [key, owner, this.#host, this.#pid],
    );
    return rows.length > 0;
  }

  // ---- process groups steps run (docs/state.md "Process groups") ----

  async recordProcessGroup(group: RecordProcessGroupOptions): Promise<void> {
    await this.#write(
      "record process group",
      `INSERT INTO process_groups (run_id, job_id, step_id, host, pgid, start_ticks, boot_id, runner_pid, grace_ms,
         started_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ${this.#nowMs()})
       ON CONFLICT (run_id, job_id, step_id) DO UPDATE SET host = excluded.host, pgid = excluded.pgid,
         start_ticks = excluded.start_ticks, boot_id = excluded.boot_id, runner_pid = excluded.runner_pid,
         grace_ms = excluded.grace_ms, started_at_ms = excluded.started_at_ms`,
      [
        group.runId,
        group.jobId,
        group.stepId,
        this.#host,
        group.pgid,
        intOrNull(group.startTicks),
        group.bootId ?? null,
        this.#pid,
        Math.max(0, Math.trunc(group.graceMs)),
      ],
    );
  }

  async clearProcessGroup(key: ProcessGroupKey): Promise<boolean> {
    const rows = await this.#write(
      "clear process group",
      `DELETE FROM process_groups WHERE run_id = $1 AND job_id = $2 AND step_id = $3 AND pgid = $4 RETURNING 1`,
      [key.runId, key.jobId, key.stepId, key.pgid],
    );
    return rows.length > 0;
  }

  async listProcessGroups(runId: string): Promise<ProcessGroupRecord[]> {
    const rows = await this.#read(
      "read process groups",
      "SELECT * FROM process_groups WHERE run_id = $1 ORDER BY started_at_ms, job_id, step_id",
      [runId],
    );
    return rows.map(processGroupRecord);
  }

  // ---- scheduler fires ----

  async claimFire(claim: FireClaim): Promise<FireClaimResult> {
    return await this.#call("claim fire", () =>
      this.#tx(async (q): Promise<FireClaimResult> => {
        // One claim per item at a time across hosts: the item's open fire and the new row are decided together.
        await q(`SELECT pg_advisory_xact_lock(${_ADVISORY_NS}, hashtext($1))`, [claim.itemId]);
        const same = await q("SELECT * FROM schedule_fires WHERE item_id = $1 AND slot_ms = $2", [
          claim.itemId,
          claim.slotMs,
        ]);
        if (same[0]) return { kind: "taken", fire: fireRecord(same[0]) };
        const open = await q(
          "SELECT * FROM schedule_fires WHERE item_id = $1 AND finished_at IS NULL ORDER BY slot_ms LIMIT 1",
          [claim.itemId],
        );
        if (open[0]) return { kind: "overlap", fire: fireRecord(open[0]) };
        const rows = await q(
          `INSERT INTO schedule_fires (item_id, slot_ms, run_id, host, pid, claimed_at, expires_at, attempts)
           VALUES ($1, $2, $3, $4, $5, ${this.#nowS()}, ${this.#nowS()} + $6::bigint, 1) RETURNING *`,
          [claim.itemId, claim.slotMs, claim.runId, this.#host, this.#pid, claim.ttlSeconds],
        );
        return { kind: "claimed", fire: fireRecord(rows[0]!) };
      }));
  }

  async renewFire(itemId: string, slotMs: number, ttlSeconds: number): Promise<boolean> {
    const rows = await this.#write(
      "renew fire",
      `UPDATE schedule_fires SET expires_at = ${this.#nowS()} + $1::bigint WHERE item_id = $2 AND slot_ms = $3
         AND host = $4 AND pid = $5 AND finished_at IS NULL RETURNING 1`,
      [ttlSeconds, itemId, slotMs, this.#host, this.#pid],
    );
    return rows.length === 1;
  }

  async finishFire(itemId: string, slotMs: number, exitCode: number): Promise<boolean> {
    const rows = await this.#write(
      "finish fire",
      `UPDATE schedule_fires SET finished_at = ${this.#nowS()}, exit_code = $1 WHERE item_id = $2 AND slot_ms = $3
         AND host = $4 AND pid = $5 AND finished_at IS NULL RETURNING 1`,
      [exitCode, itemId, slotMs, this.#host, this.#pid],
    );
    return rows.length === 1;
  }

  async releaseFire(itemId: string, slotMs: number): Promise<boolean> {
    const rows = await this.#write(
      "release fire",
      `UPDATE schedule_fires SET expires_at = ${this.#nowS()} WHERE item_id = $1 AND slot_ms = $2 AND host = $3
         AND pid = $4 AND finished_at IS NULL RETURNING 1`,
      [itemId, slotMs, this.#host, this.#pid],
    );
    return rows.length === 1;
  }

  async takeOverFire(takeover: FireTakeover): Promise<FireRecord | null> {
    if (takeover.itemIds.length === 0) return null;
    const marks = takeover.itemIds.map((_, i) => `$${i + 4}`).join(", ");
    const rows = await this.#write(
      "take over fire",
      `UPDATE schedule_fires f SET host = $1, pid = $2, claimed_at = ${this.#nowS()},
         expires_at = ${this.#nowS()} + $3::bigint, attempts = f.attempts + 1
       WHERE (f.item_id, f.slot_ms) = (
         SELECT g.item_id, g.slot_ms FROM schedule_fires g
         WHERE g.finished_at IS NULL AND g.expires_at <= ${this.#nowS()} AND g.item_id IN (${marks})
           AND NOT EXISTS (SELECT 1 FROM locks l WHERE l.key = '${RUN_LEASE_PREFIX}' || g.run_id
             AND l.expires_at > ${this.#nowS()})
         ORDER BY g.slot_ms LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [this.#host, this.#pid, takeover.ttlSeconds, ...takeover.itemIds],
    );
    return rows[0] ? fireRecord(rows[0]) : null;
  }

  async listFires(options: { itemId?: string; unfinished?: boolean } = {}): Promise<FireRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.itemId !== undefined) {
      params.push(options.itemId);
      where.push(`item_id = $${params.length}`);
    }
    if (options.unfinished) where.push("finished_at IS NULL");
    const clause = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
    const rows = await this.#read(
      "read fires",
      `SELECT * FROM schedule_fires${clause} ORDER BY slot_ms, item_id`,
      params,
    );
    return rows.map(fireRecord);
  }

  // ---- plumbing ----

  /**
   * Drop the client and start a fresh one for the next call. Under Deno the driver does not always notice a
   * connection reset while a query is in flight, and every later query on it would hang.
   */
  #reconnect(): void {
    if (this.#closed) return;
    const old = this.#sql;
    this.#sql = this.#connect();
    void old.end({ timeout: 0 }).catch(() => {});
  }

  /** The database clock in Unix seconds, as SQL (plus the test offset). */
  #nowS(): string {
    const off = Math.trunc(this.#offset());
    return `(floor(extract(epoch from clock_timestamp()))::bigint${off === 0 ? "" : ` + ${off}`})`;
  }

  /** The database clock in epoch milliseconds, as SQL. */
  #nowMs(): string {
    const off = Math.trunc(this.#offset()) * 1000;
    return `(floor(extract(epoch from clock_timestamp()) * 1000)::bigint${off === 0 ? "" : ` + ${off}`})`;
  }

  /** One statement on the connection (prepared, cached by the driver per statement text). */
  readonly #q: _Query = async (text, params = []) =>
    await this.#sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
      prepare: true,
    }) as unknown as _Row[];

  /** `fn` inside BEGIN … COMMIT (rollback on error). */
  #tx<T>(fn: (q: _Query) => Promise<T>): Promise<T> {
    return this.#sql.begin(async (tx: _Tx) => {
      const q: _Query = async (text, params = []) =>
        await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[], {
          prepare: true,
        }) as unknown as _Row[];
      return await fn(q);
    }) as Promise<T>;
  }

  #read(what: string, text: string, params: unknown[] = []): Promise<_Row[]> {
    return this.#call(what, () => this.#q(text, params));
  }

  #write(what: string, text: string, params: unknown[] = []): Promise<_Row[]> {
    if (this.#readOnly) {
      return Promise.reject(new StateError(`State database ${this.path} is open read-only: cannot ${what}`));
    }
    return this.#call(what, () => this.#q(text, params));
  }

  /** Every failure is a StateError naming the database (URL without password), message masked (D18). */
  async #call<T>(what: string, fn: () => Awaitable<T>): Promise<T> {
    if (this.#closed) throw new StateError(`State database ${this.path} is closed: cannot ${what}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new StateError(
              `State database ${this.path}: cannot ${what}: no answer within ${this.#timeoutMs / 1000} s`,
              { code: "state:timeout" },
            ),
          ),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(fn), timeout]);
    } catch (err) {
      if (_brokenConnection(err)) this.#reconnect();
      if (err instanceof StateError) throw err;
      throw new StateError(`State database ${this.path}: cannot ${what}: ${this.#mask(errorMessage(err))}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A TCP connection with Nagle's algorithm off: the driver writes a query in several small packets, and on loopback
 * each delayed one costs about a millisecond per statement (measured: 3.5 -> 2.8 ms on a loaded machine).
 */
function _singleTcpHost(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    if (u.hostname === "" || u.hostname.includes(",") || u.searchParams.has("host")) return undefined;
    return { host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port === "" ? 5432 : Number(u.port) };
  } catch {
    return undefined;
  }
}

async function _noDelaySocket(host: string, port: number, timeoutS: number): Promise<unknown> {
  const net = await import("node:net");
  return await new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error(`connect ${host}:${port} timed out`), { code: "CONNECT_TIMEOUT" }));
    }, timeoutS * 1000);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.removeListener("error", reject);
      resolve(sock);
    });
    sock.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

const _CONNECTION_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "state:timeout",
]);

/** A failure of the connection itself (not of a statement): the client is replaced. */
function _brokenConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && (_CONNECTION_CODES.has(code) || code.startsWith("57P"));
}

// PostgreSQL text cannot hold NUL: such characters are stored as U+FFFD (JSON columns escape them anyway).
function _text(v: string | null | undefined, mask: (s: string) => string): string | null {
  return maskText(v, mask)?.replaceAll("\u0000", "\uFFFD") ?? null;
}
