// What every service starter gets and returns.
import type { Server } from "./_process.ts";
import type { UnixUser } from "./_users.ts";

export interface StartContext {
  /** Scratch directory of this harness run (0755, root-owned path). */
  scratch: string;
  /** Servers outlive the harness (`services start`). */
  persistent: boolean;
  users: Record<string, UnixUser>;
}

export interface Started<T> {
  info: T;
  servers: Server[];
}
