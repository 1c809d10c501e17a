// Operator queries over the state tables (docs/state.md "Run history", "Locks"): filtered run lists, every
// lock with its holder, deleting one run's rows. Plain functions over a connection, wrapped by StateStore.
import type { SQLInputValue } from "node:sqlite";
import { immediate } from "./_tx.ts";
import { lockRow } from "./_records.ts";
import type { Sql } from "./_statements.ts";

/** Filters of `listRuns` (all optional, combined with AND). */
export interface ListRunsOptions {
  /** At most this many (newest first); undefined = all. */
  limit?: number;
  flowId?: string;
  /** `RUNNING`, `SUCCESS` or `FAILED`. */
  status?: string;
  /** Only runs started at or after this instant (Unix seconds). */
  sinceSeconds?: number;
}

/** SQL and parameters for `listRuns`. */
export function listRunsQuery(options: ListRunsOptions): { sql: string; params: SQLInputValue[] } {
  const where: string[] = [];
  const params: SQLInputValue[] = [];
  if (options.flowId !== undefined) {
    where.push("flow_id = ?");
    params.push(options.flowId);
  }
  if (options.status !== undefined) {
    where.push("status = ?");
    params.push(options.status);
  }
  if (options.sinceSeconds !== undefined) {
    where.push("started_at >= ?");
    params.push(Math.floor(options.sinceSeconds));
  }
  params.push(options.limit ?? -1); // SQLite: a negative LIMIT means no limit
  const clause = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
  return { sql: `SELECT * FROM runs${clause} ORDER BY started_at DESC, rowid DESC LIMIT ?`, params };
}

/** One `locks` row as an operator sees it. `host`/`pid` are null for rows written by upstream. */
export interface LockRow {
  key: string;
  owner: string;
  host: string | null;
  pid: number | null;
  /** Unix seconds. */
  expiresAt: number;
}

export function listLockRows(db: Sql): LockRow[] {
  return db.prepare("SELECT key, owner, host, pid, expires_at FROM locks ORDER BY key").all().map(lockRow);
}

/** Delete `row.key` only while it is still exactly `row` (a lock taken over meanwhile stays). */
export function deleteLockRow(db: Sql, row: LockRow): boolean {
  const res = db.prepare(
    "DELETE FROM locks WHERE key = ? AND owner = ? AND host IS ? AND pid IS ? AND expires_at = ?",
  ).run(row.key, row.owner, row.host, row.pid, row.expiresAt);
  return Number(res.changes) === 1;
}

/** Run ids that have job or step rows but no run record (written by upstream or before the run record). */
export function orphanRunIds(db: Sql, tables: Set<string>): { runId: string; updatedAt: number }[] {
  if (!tables.has("job_runs")) return [];
  const steps = tables.has("step_runs") ? " UNION ALL SELECT run_id, updated_at FROM step_runs" : "";
  const runs = tables.has("runs") ? " WHERE run_id NOT IN (SELECT run_id FROM runs)" : "";
  return db.prepare(
    `SELECT run_id, max(updated_at) AS updated_at FROM (SELECT run_id, updated_at FROM job_runs${steps})` +
      `${runs} GROUP BY run_id ORDER BY updated_at`,
  ).all().map((r) => ({ runId: String(r.run_id), updatedAt: Number(r.updated_at) }));
}

/** Delete every row of `runId` (steps, jobs, run record) in one transaction; returns the rows deleted. */
export function deleteRunRows(db: Sql, runId: string, tables: Set<string>): number {
  return immediate(db, () => {
    let n = 0;
    for (const table of ["step_runs", "job_runs", "runs"]) {
      if (!tables.has(table)) continue;
      n += Number(db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(runId).changes);
    }
    return n;
  });
}
