/**
 * `filesystem` source (alias `local`): a directory tree on this machine (docs/bundles.md "filesystem").
 * Regular files and dotfiles are listed; a symlinked file is followed only when it stays inside the base
 * directory (else the sync is refused); symlinked directories are not descended; the work root is left out.
 * @module
 */
import { isAbsolute, join, resolve, sep } from "node:path";
import { AetherflowError, EXIT } from "../../errors.ts";
import { compareCodePoints } from "../fingerprint.ts";
import type { FilesystemSourceSpec } from "../manifest_model.ts";
import { homeDir } from "./home_dir.ts";
import type { BundleSource, SourceContext, SourceEntry, SourceIdentity } from "./types.ts";

/** The base directory: blank -> the manifest's directory; `~` expanded; relative -> joined to it. */
export function filesystemBase(spec: FilesystemSourceSpec, manifestDir: string): string {
  let base = spec.base_path.trim();
  if (base === "") return manifestDir;
  if (base === "~" || base.startsWith("~/")) base = join(homeDir(), base.slice(1));
  return isAbsolute(base) ? resolve(base) : resolve(manifestDir, base);
}

/** Whether `path` is `root` or below it (both already real paths). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export function unsafeEntryError(rel: string, why: string, source: string): AetherflowError {
  return new AetherflowError(`Unsafe bundle entry: ${rel} (${why}; source=${source})`, {
    code: "bundle:unsafe_entry",
    exitCode: EXIT.FAILED,
  });
}

export class FilesystemSource implements BundleSource {
  readonly type = "filesystem";
  readonly basePath: string;
  readonly #workRoot: string;
  #realBase: string | undefined;

  constructor(spec: FilesystemSourceSpec, ctx: SourceContext) {
    this.basePath = filesystemBase(spec, ctx.manifestDir);
    this.#workRoot = ctx.workRoot;
  }

  async list(): Promise<SourceEntry[]> {
    try {
      this.#realBase = await Deno.realPath(this.basePath);
    } catch (err) {
      // A missing base directory lists as empty (then `entry_flow not found in bundle`).
      if (err instanceof Deno.errors.NotFound) return [];
      throw err;
    }
    const realWork = await Deno.realPath(this.#workRoot).catch(() => resolve(this.#workRoot));
    const out: SourceEntry[] = [];
    await this.#walk(this.#realBase, "", realWork, out);
    return out.sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  async #walk(dir: string, prefix: string, realWork: string, out: SourceEntry[]): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const full = join(dir, e.name);
      const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory) {
        if (isInside(full, realWork)) continue;
        await this.#walk(full, rel, realWork, out);
        continue;
      }
      let st: Deno.FileInfo;
      if (e.isSymlink) {
        const target = await Deno.realPath(full).catch(() => undefined);
        if (target === undefined) continue; // dangling: nothing to ship
        st = await Deno.stat(full);
        if (st.isDirectory) continue; // symlinked directories are not descended
        if (!st.isFile) continue;
        if (!isInside(target, this.#realBase!)) {
          throw unsafeEntryError(rel, `symbolic link to ${target} leaves the base directory`, this.type);
        }
      } else if (e.isFile) {
        st = await Deno.stat(full);
      } else continue; // sockets, FIFOs, devices: never read
      out.push({
        rel_path: rel,
        path: full,
        size: st.size,
        mtime: st.mtime ? st.mtime.getTime() / 1000 : null,
      });
    }
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    const base = this.#realBase ?? await Deno.realPath(this.basePath);
    const full = join(base, entry.rel_path);
    // Checked again at read time: the tree may have changed since it was listed.
    const target = await Deno.realPath(full);
    if (!isInside(target, base)) {
      throw unsafeEntryError(
        entry.rel_path,
        `symbolic link to ${target} leaves the base directory`,
        this.type,
      );
    }
    return await Deno.readFile(target);
  }

  identity(): SourceIdentity {
    return { type: this.type, base_path: this.basePath };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
