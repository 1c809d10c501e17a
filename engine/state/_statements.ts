// Prepared statements cached per connection: preparing costs ~15–20 µs per call, paid on every row written or
// read (several per step). node:sqlite resets a statement after each run/get/all, so a cached one is reusable
// and holds no read snapshot between calls.
import type { DatabaseSync, StatementSync } from "node:sqlite";

/** What the store, transactions and locks need of a connection. */
export interface Sql {
  prepare(sql: string): StatementSync;
  readonly isTransaction: boolean;
}

/** A connection's statement cache; `clear()` before the connection closes. */
export class StatementCache implements Sql {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** The cached statement for `sql`, prepared on first use. */
  prepare(sql: string): StatementSync {
    let stmt = this.#cache.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  get isTransaction(): boolean {
    return this.#db.isTransaction;
  }

  clear(): void {
    this.#cache.clear();
  }
}
