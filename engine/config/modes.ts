/**
 * Modes (docs/configuration.md): `internal_fast` (default) or `enterprise`, read from the snapshot's `AETHERFLOW_MODE`
 * (the bundle layer sets it from the manifest `mode`).
 * @module
 */
import type { Snapshot } from "./snapshot.ts";

export const MODE = { INTERNAL_FAST: "internal_fast", ENTERPRISE: "enterprise" } as const;
export type Mode = typeof MODE[keyof typeof MODE];

/** `enterprise` when `AETHERFLOW_MODE` (trimmed, lower-cased) says so, else `internal_fast`. */
export function resolveMode(snapshot: Snapshot): Mode {
  return (snapshot.AETHERFLOW_MODE ?? "").trim().toLowerCase() === MODE.ENTERPRISE
    ? MODE.ENTERPRISE
    : MODE.INTERNAL_FAST;
}

/** Default archive driver allow-list of an enterprise manifest (`zip_drivers`). */
export const DEFAULT_ZIP_DRIVERS: readonly string[] = Object.freeze(["pyzipper", "zipfile"]);

/**
 * The enterprise archive rule (docs/validation.md #1, docs/configuration.md step 1): the allowed drivers, sorted, when `driver` is refused;
 * `null` when the resource passes.
 */
export function refusedArchiveDriver(
  options: { mode: Mode; kind: string; driver: string; allowList: readonly string[] },
): string[] | null {
  if (options.mode !== MODE.ENTERPRISE || options.kind !== "archive") return null;
  if (options.allowList.includes(options.driver)) return null;
  return [...options.allowList].sort();
}
