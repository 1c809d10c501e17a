// Reading the manifest file (Deno.* stays in small private files).
import { UsageError } from "../errors.ts";

/** The manifest's bytes; a missing or unreadable file is a usage error (exit 2). */
export async function readManifestBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`Bundle manifest not found: ${path}`, { code: "manifest:not_found", cause: err });
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(`Cannot read bundle manifest ${path}: ${why}`, {
      code: "manifest:not_found",
      cause: err,
    });
  }
}
