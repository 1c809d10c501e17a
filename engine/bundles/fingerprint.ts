/**
 * The bundle fingerprint (docs/bundles.md "Fingerprint"): SHA-256 of the compact JSON list of
 * `[rel_path, signature]` pairs sorted by Unicode code point.
 * @module
 */
import { createHash } from "node:crypto";

/** What the fingerprint needs of a listed file. */
export interface SignedEntry {
  rel_path: string;
  size?: number | null;
  /** Seconds since the epoch (float), as the source reports it; null/0 = unknown. */
  mtime?: number | null;
  sha256?: string | null;
  /** A source-specific content id that replaces size/mtime (git: the blob id). */
  blob?: string | null;
}

/** Integer milliseconds of `mtime` (seconds, float); 0 for null/0. Always computed the same way. */
export function mtimeSig(mtime: number | null | undefined): number {
  if (mtime === null || mtime === undefined || mtime === 0 || !Number.isFinite(mtime)) return 0;
  return Math.floor(mtime * 1000 + 1e-6);
}

/** `sha256:<hex>`, else `git:<blob>`, else `sz:<size>|mt_ms:<mtime_sig>`. */
export function entrySignature(entry: SignedEntry): string {
  if (entry.sha256) return `sha256:${entry.sha256}`;
  if (entry.blob) return `git:${entry.blob}`;
  return `sz:${entry.size ?? 0}|mt_ms:${mtimeSig(entry.mtime)}`;
}

/** Order by Unicode code point (UTF-16 `<` differs outside the BMP). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  return (a.length - i) - (b.length - j);
}

/**
 * The fingerprint of a listing: lowercase hex SHA-256 of `[[rel_path, sig], …]` as compact JSON (UTF-8,
 * non-ASCII unescaped); an empty bundle hashes `[]`.
 * @example Usage
 * ```ts
 * import { bundleFingerprint } from "./fingerprint.ts";
 * import assert from "node:assert/strict";
 * const fp = bundleFingerprint([{ rel_path: "a.yaml", sha256: "00".repeat(32) }]);
 * assert.equal(fp.length, 64);
 * ```
 */
export function bundleFingerprint(entries: readonly SignedEntry[]): string {
  const pairs = [...entries]
    .sort((x, y) => compareCodePoints(x.rel_path, y.rel_path))
    .map((e) => [e.rel_path, entrySignature(e)]);
  return createHash("sha256").update(JSON.stringify(pairs), "utf8").digest("hex");
}

/** Lowercase hex SHA-256 of some bytes. */
export function sha256Bytes(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
