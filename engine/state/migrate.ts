/**
 * `aetherflow state migrate` (docs/state.md "Moving to PostgreSQL"): copy a SQLite state file's history — run
 * records, job and step rows, scheduler fire rows — into a PostgreSQL state, as stored (already masked), then
 * read every row back and compare. Idempotent: rows are upserted by key, so a second migration of the same
 * file changes nothing and verifies the same counts. Locks are not copied (they belong to live processes), and a
 * source with a live lock (a run going on) is refused.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { errorMessage, StateError } from "../errors.ts";
import { IMPORT_KEYS, type ImportTable, PostgresStateStore } from "./postgres_store.ts";
import { StateStore } from "./store.ts";
import type { StateTarget } from "./target.ts";

type _Row = Record<string, unknown>;

/** Tables copied, parents first. */
export const MIGRATED_TABLES: readonly ImportTable[] = ["runs", "job_runs", "step_runs", "schedule_fires"];

export interface TableMigration {
  table: ImportTable;
  /** Rows in the source file. */
  source: number;
  /** Source rows the destination held identically before the copy (a repeated migration: all of them). */
  unchanged: number;
  /** Source rows the destination holds identically after the copy: equals `source` on success. */
  verified: number;
}

/**
 * Copy `from` (SQLite) into `to` (PostgreSQL; tables created or migrated on open) and verify.
 * @throws {StateError} a live lock in the source, an unreadable source, an unreachable destination, or a
 *   verification mismatch (naming the table and the first differing key).
 */
export async function migrateState(
  from: Extract<StateTarget, { kind: "sqlite" }>,
  to: Extract<StateTarget, { kind: "postgres" }>,
): Promise<TableMigration[]> {
  const rows = _readSource(from.path);
  const dest = await PostgresStateStore.open(to.url, { schema: to.schema });
  try {
    const before = new Map<ImportTable, Map<string, _Row>>();
    for (const table of MIGRATED_TABLES) before.set(table, _byKey(table, await dest.exportRows(table)));
    await dest.importRows(MIGRATED_TABLES.map((table) => ({ table, rows: rows.get(table) ?? [] })));
    const out: TableMigration[] = [];
    for (const table of MIGRATED_TABLES) {
      const source = rows.get(table) ?? [];
      const after = _byKey(table, await dest.exportRows(table));
      const result: TableMigration = { table, source: source.length, unchanged: 0, verified: 0 };
      for (const row of source) {
        const key = _key(table, row);
        if (_same(row, before.get(table)!.get(key))) result.unchanged++;
        if (_same(row, after.get(key))) result.verified++;
        else {
          throw new StateError(
            `Verification failed: ${table} row ${key} differs in ${dest.path} after the copy ` +
              `(${result.verified} of ${source.length} rows verified so far)`,
            { code: "state:migrate_verify" },
          );
        }
      }
      out.push(result);
    }
    return out;
  } finally {
    await dest.close();
  }
}

/** Every migrated table of the source, in rowid order (SQLite's write order; PostgreSQL's `seq` follows it). */
function _readSource(path: string): Map<ImportTable, _Row[]> {
  // Open through the store first: it refuses a missing file, a newer schema or a corrupt one, naming the file.
  const store = StateStore.open(path, { readOnly: true });
  try {
    const live = store.listLocks().filter((l) => !l.expired);
    if (live.length > 0) {
      throw new StateError(
        `${path} has ${live.length} live lock(s) (${
          live.map((l) => l.key).join(", ")
        }): a run is going on; ` +
          "stop it (or let the locks expire) before migrating",
        { code: "state:migrate_live" },
      );
    }
  } finally {
    store.close();
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch (err) {
    throw new StateError(`Cannot open state database ${path}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    const present = new Set(
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => String(r.name)),
    );
    const out = new Map<ImportTable, _Row[]>();
    for (const table of MIGRATED_TABLES) {
      if (!present.has(table)) continue;
      out.set(table, db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all().map((r) => ({ ...r })));
    }
    return out;
  } catch (err) {
    throw new StateError(`Cannot read state database ${path}: ${errorMessage(err)}`, { cause: err });
  } finally {
    db.close();
  }
}

function _key(table: ImportTable, row: _Row): string {
  return JSON.stringify(IMPORT_KEYS[table].map((k) => _norm(row[k])));
}

function _byKey(table: ImportTable, rows: readonly _Row[]): Map<string, _Row> {
  return new Map(rows.map((r) => [_key(table, r), r]));
}

/** Every column of the source row, as the destination stores it (numbers as numbers, NUL as U+FFFD). */
function _same(source: _Row, dest: _Row | undefined): boolean {
  if (dest === undefined) return false;
  return Object.keys(source).every((c) => _norm(source[c]) === _norm(dest[c]));
}

function _norm(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  return String(v).replaceAll("\u0000", "\uFFFD");
}
