// Test helpers: a temp dir with a source tree and a manifest, and a sync that returns its result.
import { dirname, join } from "node:path";
import { loadManifest } from "./load_manifest.ts";
import { syncBundle, type SyncOptions, type SyncResult } from "./sync.ts";

export interface BundleFixture extends AsyncDisposable {
  dir: string;
  src: string;
  workRoot: string;
  manifestPath: string;
  /** Write files (rel path -> text or bytes) under the source dir. */
  write(files: Record<string, string | Uint8Array>): Promise<void>;
  /** Replace the manifest text. */
  setManifest(text: string): Promise<void>;
  sync(options?: Partial<SyncOptions>): Promise<SyncResult>;
}

/** The usual tree: an entry flow, a profiles file and a plugin stand-in. */
export const BASIC_TREE: Readonly<Record<string, string>> = {
  "flows/main.yaml": "flow: {id: main}\njobs: []\n",
  "profiles.yaml": "{}\n",
  "plugins/x.wasm": "not really wasm",
};

/** A filesystem manifest for bundle `id` reading `base_path` (relative to the manifest's dir). */
export function filesystemManifest(options: { id?: string; basePath?: string; extra?: string } = {}): string {
  return [
    "bundle:",
    `  id: ${options.id ?? "b1"}`,
    `  source: {type: filesystem, base_path: ${options.basePath ?? "src"}}`,
    "  layout: {flows_dir: flows, profiles_file: profiles.yaml, plugins_dir: plugins}",
    "  entry_flow: flows/main.yaml",
    options.extra ?? "",
  ].join("\n");
}

export async function bundleFixture(manifest = filesystemManifest()): Promise<BundleFixture> {
  const dir = await Deno.makeTempDir({ prefix: "af-bundle-" });
  const src = join(dir, "src");
  const workRoot = join(dir, "wr");
  const manifestPath = join(dir, "m.yaml");
  await Deno.mkdir(src, { recursive: true });
  await Deno.writeTextFile(manifestPath, manifest);
  return {
    dir,
    src,
    workRoot,
    manifestPath,
    async write(files) {
      for (const [rel, content] of Object.entries(files)) {
        const p = join(src, rel);
        await Deno.mkdir(dirname(p), { recursive: true });
        if (typeof content === "string") await Deno.writeTextFile(p, content);
        else await Deno.writeFile(p, content);
      }
    },
    async setManifest(text) {
      await Deno.writeTextFile(manifestPath, text);
    },
    async sync(options = {}) {
      const manifest = await loadManifest(manifestPath);
      return await syncBundle({ manifest, workRoot, ...options });
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Every file under `dir` (following nothing) as rel path -> text. */
export async function readTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, prefix: string) => {
    for await (const e of Deno.readDir(d)) {
      const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory) await walk(join(d, e.name), rel);
      else out[rel] = await Deno.readTextFile(join(d, e.name));
    }
  };
  await walk(dir, "");
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** One member of a hand-made tar (to build archives `tar` itself would refuse to write). */
export interface TarMember {
  name: string;
  data?: string;
  /** `0` file (default), `2` symlink, `5` directory, `1` hard link. */
  type?: "0" | "1" | "2" | "5";
  linkname?: string;
}

/** A gzip-compressed ustar archive of `members`. */
export async function makeTarGz(members: readonly TarMember[]): Promise<Uint8Array> {
  const enc = new TextEncoder();
  const blocks: Uint8Array[] = [];
  const field = (h: Uint8Array, at: number, len: number, text: string) =>
    h.set(enc.encode(text).subarray(0, len), at);
  for (const m of members) {
    const data = enc.encode(m.data ?? "");
    const h = new Uint8Array(512);
    field(h, 0, 100, m.name);
    field(h, 100, 8, "0000644\0");
    field(h, 108, 8, "0000000\0");
    field(h, 116, 8, "0000000\0");
    field(h, 124, 12, data.length.toString(8).padStart(11, "0") + "\0");
    field(h, 136, 12, (1_700_000_000).toString(8).padStart(11, "0") + "\0");
    field(h, 148, 8, "        ");
    field(h, 156, 1, m.type ?? "0");
    field(h, 157, 100, m.linkname ?? "");
    field(h, 257, 6, "ustar\0");
    field(h, 263, 2, "00");
    let sum = 0;
    for (const b of h) sum += b;
    field(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
    blocks.push(h);
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    blocks.push(padded);
  }
  blocks.push(new Uint8Array(1024));
  const stream = new Blob(blocks as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A zip of `files` (rel path -> text) written with @zip.js/zip.js; `symlinks` adds link members. */
export async function makeZip(
  files: Record<string, string>,
  symlinks: Record<string, string> = {},
): Promise<Uint8Array> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter());
  for (const [name, text] of Object.entries(files)) await writer.add(name, new zip.TextReader(text));
  for (const [name, target] of Object.entries(symlinks)) {
    await writer.add(name, new zip.TextReader(target), { unixMode: 0o120777 } as never);
  }
  return await writer.close();
}
