/**
 * The effective grant: the intersection of what a plugin asks for (descriptor `capabilities`) and what the
 * operator granted next to its pin; limits are the smaller of the grant and the engine's ceiling (D11,
 * plugin-abi.md "Grants"). Pure data, no I/O.
 * @module
 */
import type { Capabilities, Grants } from "../abi/mod.ts";

/** Limits applied when a grant does not set one (plugin-abi.md "Limits"). */
export const DEFAULT_LIMITS = {
  timeout_ms: 30_000,
  memory_mb: 256,
  max_output_bytes: 16 * 1024 * 1024,
} as const;
/** The most any grant can raise a limit to. */
export const LIMIT_CEILINGS = {
  timeout_ms: 600_000,
  memory_mb: 2048,
  max_output_bytes: 64 * 1024 * 1024,
} as const;

export interface EffectiveGrants {
  hosts: readonly string[];
  /** The job's artifacts dir is mapped at `/artifacts` (read-write). */
  artifacts: boolean;
  /** Further directories: guest path -> {host path, mode}. */
  dirs: Readonly<Record<string, { path: string; mode: "ro" | "rw" }>>;
  resources: readonly string[];
  timeoutMs: number;
  memoryMb: number;
  maxOutputBytes: number;
}

/** Intersect `capabilities` with `grants` and clamp the limits. */
export function effectiveGrants(capabilities: Capabilities, grants: Grants): EffectiveGrants {
  const asksFiles = capabilities.files !== undefined && capabilities.files !== "none";
  return {
    hosts: _intersectHosts(capabilities.hosts, grants.hosts),
    artifacts: capabilities.files === "artifacts" && grants.files === "artifacts",
    // Only the directories the plugin asked for (capabilities.dirs) that the operator also mapped, and only for a
    // plugin that asks for file access at all: the effective grant is never wider than either side.
    dirs: asksFiles ? _intersectDirs(capabilities.dirs, grants.dirs) : {},
    resources: capabilities.resources.filter((r) => grants.resources.includes(r)),
    timeoutMs: _limit(grants.timeout_ms, "timeout_ms"),
    memoryMb: _limit(grants.memory_mb, "memory_mb"),
    maxOutputBytes: _limit(grants.max_output_bytes, "max_output_bytes"),
  };
}

/** Whether `host` matches `pattern` (`*` matches any run of characters, case-insensitive). */
export function hostMatches(host: string, pattern: string): boolean {
  const escaped = pattern.toLowerCase().split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`).test(host.toLowerCase());
}

function _guestDir(path: string): string {
  return path.replace(/\/+$/, "") || "/";
}

function _intersectDirs<T>(
  requested: readonly string[],
  granted: Readonly<Record<string, T>>,
): Record<string, T> {
  const wanted = new Set(requested.map(_guestDir));
  return Object.fromEntries(Object.entries(granted).filter(([guest]) => wanted.has(_guestDir(guest))));
}

function _limit(granted: number | undefined, key: keyof typeof DEFAULT_LIMITS): number {
  return Math.min(granted ?? DEFAULT_LIMITS[key], LIMIT_CEILINGS[key]);
}

// A requested pattern survives when some grant covers it; a granted literal survives when it falls under a
// requested glob. The result is never wider than either side.
function _intersectHosts(requested: readonly string[], granted: readonly string[]): string[] {
  const out = new Set<string>();
  for (const r of requested) if (granted.some((g) => hostMatches(r, g))) out.add(r);
  for (const g of granted) {
    if (!g.includes("*") && requested.some((r) => hostMatches(g, r))) out.add(g);
  }
  return [...out].sort();
}
