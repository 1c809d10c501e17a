/**
 * The effective grant: the intersection of what a plugin asks for (descriptor `capabilities`) and what the
 * operator granted next to its pin; limits are the smaller of the grant and the engine's ceiling (D11,
 * docs/plugin-abi.md "Grants"). Pure data, no I/O.
 * @module
 */
import type { Capabilities, Grants } from "../abi/mod.ts";
import {
  formatHostPattern,
  type HostPattern,
  intersectHostPatterns,
  parseHostPattern,
  patternMatches,
} from "../abi/host_pattern.ts";

/** Limits applied when a grant does not set one (docs/plugin-abi.md "Limits"). */
export const DEFAULT_LIMITS = {
  timeout_ms: 30_000,
  memory_mb: 256,
  max_output_bytes: 16 * 1024 * 1024,
} as const;
/**
 * The most any grant can raise a limit to. Memory is 256 MiB, the same as the V8 flag every launcher passes
 * (`--wasm-max-mem-pages=4096`: deno.json's task, scripts/compile.ts), which caps every WASM memory of the
 * process: a larger grant could never be used, and its trap message would name a cap that is not the real one.
 */
export const LIMIT_CEILINGS = {
  timeout_ms: 600_000,
  memory_mb: 256,
  max_output_bytes: 64 * 1024 * 1024,
} as const;

export interface EffectiveGrants {
  /** Canonical host patterns (host_pattern.ts grammar) both sides allow; the host enforces them per request. */
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

/**
 * Whether a request to `hostname` (as `URL` normalised it) on `port` is allowed by `patterns` (canonical
 * host patterns, e.g. {@link EffectiveGrants.hosts}).
 */
export function hostAllowed(patterns: readonly string[], hostname: string, port: number): boolean {
  return patterns.some((text) => {
    const p = parseHostPattern(text);
    return typeof p !== "string" && patternMatches(p, hostname, port);
  });
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

// Each pair of a requested and a granted pattern contributes what both allow (one of the two hosts, the port
// that either pins). Both sides were checked against the grammar where they were written; anything that still
// does not parse is dropped, never passed on.
function _intersectHosts(requested: readonly string[], granted: readonly string[]): string[] {
  const parse = (list: readonly string[], allowAny: boolean) =>
    list.map((t) => parseHostPattern(t, { allowAny })).filter((p): p is HostPattern => typeof p !== "string");
  const grantedPatterns = parse(granted, false);
  const out = new Set<string>();
  for (const r of parse(requested, true)) {
    for (const g of grantedPatterns) {
      const both = intersectHostPatterns(r, g);
      if (both) out.add(formatHostPattern(both));
    }
  }
  return [...out].sort();
}
