// TTL locks in the `locks` table (docs/state.md, D15). Host-local: cross-host locking needs a shared backend.
import { immediate } from "./_tx.ts";
import { numOrNull, textOrNull } from "./_records.ts";
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

/**
 * Release every `with_lock` lock held by `who` (run termination, docs/execution-model.md). The run lease (`run:<id>`, same
 * owner) is not one of them: it is released separately, last. Returns how many were released.
 */
export function releaseLocksOf(db: Sql, who: LockIdentity): number {
  const res = db.prepare(
    "DELETE FROM locks WHERE owner = ? AND host = ? AND pid = ? AND substr(key, 1, length(?)) <> ?",
  ).run(who.owner, who.host, who.pid, RUN_LEASE_PREFIX, RUN_LEASE_PREFIX);
  return Number(res.changes);
}

// ---- run leases: one invocation per run id at a time ----

/** Keys starting with this are run leases; `with_lock` keys may not (they would collide). */
export const RUN_LEASE_PREFIX = "run:";

/** The `locks` key of run `runId`'s lease. */
export function runLeaseKey(runId: string): string {
  return RUN_LEASE_PREFIX + runId;
}

/** Whether `key` is in the reserved run-lease namespace (case-sensitive, like the key column). */
export function isRunLeaseKey(key: string): boolean {
  return key.startsWith(RUN_LEASE_PREFIX);
}

/** The row holding a lock. `host`/`pid` are null for rows written by upstream. */
export interface LockHolder {
  owner: string;
  host: string | null;
  pid: number | null;
  /** Unix seconds. */
  expiresAt: number;
}

function _holder(db: Sql, key: string): LockHolder | null {
  const row = db.prepare("SELECT owner, host, pid, expires_at FROM locks WHERE key = ?").get(key);
  if (!row) return null;
  return {
    owner: String(row.owner),
    host: textOrNull(row.host),
    pid: numOrNull(row.pid),
    expiresAt: Number(row.expires_at),
  };
}

/**
 * Take the lease of run `lease.owner`, in one `BEGIN IMMEDIATE` transaction: expired rows are deleted (as for
 * any lock); a lease held from this host by a pid that no longer exists (`alive(pid)` false: the holder was
 * SIGKILLed or crashed) is taken over at once; otherwise a held lease is respected until it expires — also
 * when held by this very process (not re-entrant). Returns null when acquired, else the holder.
 */
export function tryAcquireRunLease(
  db: Sql,
  lease: LockIdentity & { nowSeconds: number; ttlSeconds: number },
  alive: (pid: number) => boolean,
): LockHolder | null {
  const key = runLeaseKey(lease.owner);
  return immediate(db, () => {
    db.prepare("DELETE FROM locks WHERE expires_at <= ?").run(lease.nowSeconds);
    const held = _holder(db, key);
    if (
      held !== null && held.host === lease.host && held.pid !== null && held.pid !== lease.pid &&
      !alive(held.pid)
    ) {
      db.prepare("DELETE FROM locks WHERE key = ? AND host = ? AND pid = ?").run(key, held.host, held.pid);
    }
    const res = db.prepare(
      "INSERT INTO locks (key, owner, expires_at, host, pid) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
    ).run(key, lease.owner, lease.nowSeconds + lease.ttlSeconds, lease.host, lease.pid);
    return Number(res.changes) === 1 ? null : _holder(db, key);
  });
}

/** Push the lease's expiry to `now + ttl` if `who` still holds it; returns whether it did. */
export function renewRunLeaseRow(
  db: Sql,
  who: LockIdentity,
  lease: { nowSeconds: number; ttlSeconds: number },
): boolean {
  const res = db.prepare(
    "UPDATE locks SET expires_at = ? WHERE key = ? AND owner = ? AND host = ? AND pid = ?",
  ).run(lease.nowSeconds + lease.ttlSeconds, runLeaseKey(who.owner), who.owner, who.host, who.pid);
  return Number(res.changes) === 1;
}
