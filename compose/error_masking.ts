/**
 * The secrets an error report must not show (docs/secrets.md "Error paths"): every masker a command built
 * (its snapshot's secrets, and the values decoded so far, which the masker learns as the run goes) plus the
 * secret-named values of the process env. The CLI's error reporter masks every message with it, so an error
 * raised before or during a run never prints a secret.
 * @module
 */
import { Masker } from "../engine/config/masking.ts";

const _maskers: Masker[] = [];

/** Mask every later error report with `masker` too. */
export function maskErrorsWith(masker: Masker): void {
  if (!_maskers.includes(masker)) _maskers.push(masker);
}

/** `text` with every secret known to the process masked. */
export function maskForReport(text: string): string {
  const fromEnv = new Masker();
  fromEnv.addFromSnapshot(Deno.env.toObject());
  let out = fromEnv.mask(text);
  for (const m of _maskers) out = m.mask(out);
  return out;
}
