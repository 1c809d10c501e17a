// TTL locks in the `locks` table (core.md §6.3, D15). Host-local: cross-host locking needs a shared backend.
import { immediate } from "./_tx.ts";
import type { Sql } from "./_statements.ts";

/** Who holds a lock: owner = run id, plus host and pid (D15). */
export interface LockIdentity {
  owner: string;
  host: string;
  pid: number;
}

/**
 * One attempt, in one `BEGIN IMMEDIATE` transaction: delete every expired row (`expires_at <= now`, any
 * key — expired locks are taken over), then insert. A primary-key conflict means held: not re-entrant,
 * even for the same owner.
 */
export function tryAcquireLock(
  db: Sql,
  key: string,
  lease: LockIdentity & { nowSeconds: number; ttlSeconds: number },
): boolean {
  return immediate(db, () => {
    db.prepare("DELETE FROM locks WHERE expires_at <= ?").run(lease.nowSeconds);
    const res = db.prepare(
      "INSERT INTO locks (key, owner, expires_at, host, pid) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    ).run(key, lease.owner, lease.nowSeconds + lease.ttlSeconds, lease.host, lease.pid);
    return Number(res.changes) === 1;
  });
}

/**
 * Delete the row only when key, owner, host and pid all match, so a holder whose lease expired and was taken
 * over cannot release the new holder's lock. Returns whether a row was deleted.
 */
export function releaseLockRow(db: Sql, key: string, who: LockIdentity): boolean {
  const res = db.prepare("DELETE FROM locks WHERE key = ? AND owner = ? AND host = ? AND pid = ?")
    .run(key, who.owner, who.host, who.pid);
  return Number(res.changes) > 0;
}

/** Release every lock held by `who` (run termination, core.md §5.2). Returns how many were released. */
export function releaseLocksOf(db: Sql, who: LockIdentity): number {
  const res = db.prepare("DELETE FROM locks WHERE owner = ? AND host = ? AND pid = ?")
    .run(who.owner, who.host, who.pid);
  return Number(res.changes);
}
