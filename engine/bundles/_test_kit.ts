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
