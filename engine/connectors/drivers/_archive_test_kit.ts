// Test helpers for the archive drivers: a connector instance from a definition and a config, a temp tree of
// files, and hand-made zips (zip.js writes any name, so unsafe members can be crafted).
import { dirname, join } from "node:path";
import { parseResourceConfig } from "../config.ts";
import type { ArchiveConnector } from "../kinds/mod.ts";
import type { AnyConnectorDefinition } from "../types.ts";
import { SYSTEM_CLOCK } from "../../clock.ts";

export interface ArchiveUnderTest {
  archive: ArchiveConnector;
  /** Values the driver registered as secrets. */
  secrets: string[];
}

/** A live connector of `def` with `config` (parsed like the accessor does). */
export async function openArchive(
  def: AnyConnectorDefinition,
  config: Record<string, unknown> = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<ArchiveUnderTest> {
  const parsed = parseResourceConfig(def, { name: "arc", config, options: {} });
  const secrets: string[] = [];
  const nop = () => {};
  const archive = await def.create(
    { name: "arc", kind: def.kind, driver: def.driver, decode: {}, ...parsed } as never,
    {
      signal,
      log: { debug: nop, info: nop, warn: nop, error: nop },
      clock: SYSTEM_CLOCK,
      addSecret: (v) => secrets.push(v),
    },
  ) as ArchiveConnector;
  return { archive, secrets };
}

/** Write `files` (relative path -> text) under `root`; returns their absolute paths, sorted. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for (const [rel, data] of Object.entries(files)) {
    const path = join(root, rel);
    await Deno.mkdir(dirname(path), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
    out.push(path);
  }
  return out.sort();
}

/** Every file below `root` as relative path -> text (directories omitted; a missing root is empty). */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  try {
    await Deno.stat(root);
  } catch {
    return out;
  }
  const walk = async (dir: string, prefix: string) => {
    for await (const e of Deno.readDir(dir)) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory) await walk(join(dir, e.name), rel);
      else if (e.isSymlink) out[rel] = `-> ${await Deno.readLink(join(dir, e.name))}`;
      else out[rel] = await Deno.readTextFile(join(dir, e.name));
    }
  };
  await walk(root, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** A crafted zip: members in order, each a name and text, optionally a symlink (text = its target). */
export async function craftZip(
  path: string,
  members: { name: string; text: string; symlink?: boolean }[],
): Promise<void> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter());
  for (const m of members) {
    await writer.add(m.name, new zip.TextReader(m.text), m.symlink ? { unixMode: 0o120777 } : {});
  }
  await Deno.writeFile(path, await writer.close());
}

/** Run a program; returns exit code and output text. */
export async function sh(cmd: string, args: string[], cwd?: string): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  return { code: r.code, out: text };
}

/** The AES key size of the first WinZip AES extra field in a zip's bytes (128/192/256), or null. */
export function aesBits(bytes: Uint8Array): number | null {
  for (let i = 0; i + 8 < bytes.length; i++) {
    if (bytes[i] === 0x01 && bytes[i + 1] === 0x99 && bytes[i + 2] === 0x07 && bytes[i + 3] === 0x00) {
      return ({ 1: 128, 2: 192, 3: 256 } as Record<number, number>)[bytes[i + 8]!] ?? null;
    }
  }
  return null;
}

/** A temp dir removed when disposed. */
export async function scratch(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix: "af-archive-" }));
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
