// Scheduler fire rows (docs/fleet.md "Exactly once"): one row per `<item>-<slot>` in `schedule_fires`, so several
// schedulers sharing one state backend start each slot once. The claiming scheduler keeps its claim fresh while
// the run goes on; a claim that expired unfinished (its host died) is taken over by another scheduler, which
// resumes the run. Plain functions over a SQLite connection; the PostgreSQL store has its own SQL.
import { immediate } from "./_tx.ts";
import type { Sql } from "./_statements.ts";
import { RUN_LEASE_PREFIX } from "./locks.ts";

/** One `schedule_fires` row. Times in Unix seconds of the backend's clock. */
export interface FireRecord {
  itemId: string;
  /** The scheduled slot (epoch ms, UTC). */
  slotMs: number;
  runId: string;
  /** The scheduler holding (or last holding) the claim. */
  host: string;
  pid: number;
  claimedAt: number;
  expiresAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  /** 1 for the first start, + 1 per takeover (a resume on another scheduler). */
  attempts: number;
}

/** A scheduler's attempt to start `<item>-<slot>`. */
export interface FireClaim {
  itemId: string;
  slotMs: number;
  runId: string;
  /** How long the claim holds without renewal. */
  ttlSeconds: number;
}

/** Which abandoned claims a scheduler may take over. */
export interface FireTakeover {
  /** Only these items (the scheduler's own). */
  itemIds: readonly string[];
  ttlSeconds: number;
}

/** What `claimFire` found. */
export type FireClaimResult =
  | { readonly kind: "claimed"; readonly fire: FireRecord }
  /** Another scheduler claimed this very slot first. */
  | { readonly kind: "taken"; readonly fire: FireRecord }
  /** An earlier slot of the item is still unfinished (running, or waiting to be taken over). */
  | { readonly kind: "overlap"; readonly fire: FireRecord };

/**
 * Claim `<item>-<slot>` in one `BEGIN IMMEDIATE` transaction: refused when the slot has a row already (another
 * scheduler fired it) or when another slot of the item is unfinished (at most one instance per item, across
 * every scheduler).
 */
export function claimFireRow(
  db: Sql,
  claim: FireClaim & { host: string; pid: number; nowSeconds: number },
): FireClaimResult {
  return immediate(db, () => {
    const same = db.prepare("SELECT * FROM schedule_fires WHERE item_id = ? AND slot_ms = ?").get(
      claim.itemId,
      claim.slotMs,
    );
    if (same) return { kind: "taken", fire: fireRecord(same) };
    const open = db.prepare(
      "SELECT * FROM schedule_fires WHERE item_id = ? AND finished_at IS NULL ORDER BY slot_ms LIMIT 1",
    ).get(claim.itemId);
    if (open) return { kind: "overlap", fire: fireRecord(open) };
    const row = db.prepare(
      `INSERT INTO schedule_fires (item_id, slot_ms, run_id, host, pid, claimed_at, expires_at, attempts)
       VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING *`,
    ).get(
      claim.itemId,
      claim.slotMs,
      claim.runId,
      claim.host,
      claim.pid,
      claim.nowSeconds,
      claim.nowSeconds + claim.ttlSeconds,
    );
    return { kind: "claimed", fire: fireRecord(row!) };
  });
}

/** Push an unfinished claim held by `who` to now + ttl; false when it is no longer theirs. */
export function renewFireRow(
  db: Sql,
  key: { itemId: string; slotMs: number; host: string; pid: number },
  lease: { nowSeconds: number; ttlSeconds: number },
): boolean {
  const res = db.prepare(
    `UPDATE schedule_fires SET expires_at = ? WHERE item_id = ? AND slot_ms = ? AND host = ? AND pid = ?
       AND finished_at IS NULL`,
  ).run(lease.nowSeconds + lease.ttlSeconds, key.itemId, key.slotMs, key.host, key.pid);
  return Number(res.changes) === 1;
}

/** Record the outcome of a claim held by `who`. */
export function finishFireRow(
  db: Sql,
  key: { itemId: string; slotMs: number; host: string; pid: number },
  done: { nowSeconds: number; exitCode: number },
): boolean {
  const res = db.prepare(
    `UPDATE schedule_fires SET finished_at = ?, exit_code = ? WHERE item_id = ? AND slot_ms = ? AND host = ?
       AND pid = ? AND finished_at IS NULL`,
  ).run(done.nowSeconds, done.exitCode, key.itemId, key.slotMs, key.host, key.pid);
  return Number(res.changes) === 1;
}

/** Give a claim up unfinished (expires now), so another scheduler may take it over. */
export function releaseFireRow(
  db: Sql,
  key: { itemId: string; slotMs: number; host: string; pid: number },
  nowSeconds: number,
): boolean {
  const res = db.prepare(
    `UPDATE schedule_fires SET expires_at = ? WHERE item_id = ? AND slot_ms = ? AND host = ? AND pid = ?
       AND finished_at IS NULL`,
  ).run(nowSeconds, key.itemId, key.slotMs, key.host, key.pid);
  return Number(res.changes) === 1;
}

/**
 * Take over the oldest abandoned claim of `itemIds`: unfinished, expired, and its run not held by a live run
 * lease (a run whose scheduler died may still be going on its own). One row per call.
 */
export function takeOverFireRow(
  db: Sql,
  takeover: FireTakeover & { host: string; pid: number; nowSeconds: number },
): FireRecord | null {
  if (takeover.itemIds.length === 0) return null;
  return immediate(db, () => {
    const marks = takeover.itemIds.map(() => "?").join(", ");
    const row = db.prepare(
      `SELECT item_id, slot_ms FROM schedule_fires f WHERE finished_at IS NULL AND expires_at <= ?
         AND item_id IN (${marks})
         AND NOT EXISTS (SELECT 1 FROM locks l WHERE l.key = ? || f.run_id AND l.expires_at > ?)
       ORDER BY slot_ms LIMIT 1`,
    ).get(takeover.nowSeconds, ...takeover.itemIds, RUN_LEASE_PREFIX, takeover.nowSeconds);
    if (!row) return null;
    const taken = db.prepare(
      `UPDATE schedule_fires SET host = ?, pid = ?, claimed_at = ?, expires_at = ?, attempts = attempts + 1
       WHERE item_id = ? AND slot_ms = ? RETURNING *`,
    ).get(
      takeover.host,
      takeover.pid,
      takeover.nowSeconds,
      takeover.nowSeconds + takeover.ttlSeconds,
      row.item_id,
      row.slot_ms,
    );
    return taken ? fireRecord(taken) : null;
  });
}

/** Fire rows, oldest slot first. */
export function listFireRows(db: Sql, options: { itemId?: string; unfinished?: boolean }): FireRecord[] {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (options.itemId !== undefined) {
    where.push("item_id = ?");
    params.push(options.itemId);
  }
  if (options.unfinished) where.push("finished_at IS NULL");
  const clause = where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`;
  return db.prepare(`SELECT * FROM schedule_fires${clause} ORDER BY slot_ms, item_id`).all(...params).map(
    fireRecord,
  );
}

/** A `schedule_fires` row as a record (column names as in both backends). */
export function fireRecord(r: Record<string, unknown>): FireRecord {
  return {
    itemId: String(r.item_id),
    slotMs: Number(r.slot_ms),
    runId: String(r.run_id),
    host: String(r.host),
    pid: Number(r.pid),
    claimedAt: Number(r.claimed_at),
    expiresAt: Number(r.expires_at),
    finishedAt: r.finished_at === null || r.finished_at === undefined ? null : Number(r.finished_at),
    exitCode: r.exit_code === null || r.exit_code === undefined ? null : Number(r.exit_code),
    attempts: Number(r.attempts),
  };
}
