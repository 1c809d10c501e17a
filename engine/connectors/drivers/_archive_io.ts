// Shared by the archive drivers (docs/connectors.md "archive"): member names, the `<output>.tmp` -> rename
// write, the options every driver accepts, and the error class whose text never holds a password.
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { AetherflowError, EXIT } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import { isMaskableSecret } from "../../config/masking.ts";

/** An archive driver failed: bad arguments, an unsafe archive, a wrong password, a failing program. */
export class ArchiveError extends AetherflowError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, {
      code: options.code ?? "connector:archive",
      exitCode: EXIT.FAILED,
      cause: options.cause,
    });
    this.name = "ArchiveError";
  }
}

/** `options` of every archive driver: only the accessor's cache policy. */
export const ARCHIVE_OPTIONS = fields.fixedMap({ cache: fields.text({ default: null }) });

/** The member name of `file`: its path relative to `baseDir`, with `/`. */
export function memberName(file: string, baseDir: string): string {
  const rel = relative(resolve(baseDir), resolve(file));
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ArchiveError(`File '${file}' is outside base_dir '${baseDir}'`);
  }
  return rel.split(sep).join("/");
}

async function _removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * Write an archive to `<output>.tmp` with `write`, then rename it over `output`; the tmp file is removed when
 * `write` fails. `overwrite: true` deletes an existing output first; `false` still replaces it at the rename.
 * The parent directory is created.
 */
export async function writeViaTmp(
  output: string,
  overwrite: boolean,
  write: (tmp: string) => Promise<void>,
): Promise<void> {
  await Deno.mkdir(dirname(output), { recursive: true });
  const tmp = `${output}.tmp`;
  if (overwrite) await _removeQuietly(output);
  await _removeQuietly(tmp); // a program like `zip` would add to a stale archive
  try {
    await write(tmp);
  } catch (err) {
    await _removeQuietly(tmp).catch(() => {});
    throw err;
  }
  await Deno.rename(tmp, output);
}

/** `text` with every occurrence of `secret` replaced (program output can echo its argv). */
export function withoutSecret(text: string, secret: string | null | undefined): string {
  return secret && isMaskableSecret(secret) ? text.replaceAll(secret, "***") : text;
}

/** `null` for an absent or empty password. */
export function passwordOf(value: string | null | undefined): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}
