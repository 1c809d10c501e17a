// File access for validation, kept in one small file (Deno.* stays out of the engine's logic).
import { UsageError } from "../errors.ts";

/** Read a flow file's bytes; a missing path is a usage error (exit 2, docs/validation.md). */
export async function readFlowBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`Flow file not found: ${path}`, { cause: err });
    }
    if (err instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`Flow file is a directory: ${path}`, { cause: err });
    }
    const why = err instanceof Error ? err.message : String(err);
    throw new UsageError(`Cannot read flow file ${path}: ${why}`, { cause: err });
  }
}
