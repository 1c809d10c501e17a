// Builds the demo plugins (AssemblyScript sources in this folder) into the bundles that ship them, then
// re-pins them: every `path: plugins/<name>.wasm` entry of the demos' manifests gets the new sha256.
// Run: `deno task plugins:build` (all plugins of the project), or `deno run -A examples/plugins/build.ts`.
import { join } from "node:path";
import { buildAssemblyScript, ROOT } from "../../plugins/examples/build.ts";

const EXAMPLES = join(ROOT, "examples");

/** Each plugin and the bundle folders (under examples/) whose `plugins/` ship it. */
export const DEMO_PLUGINS: Readonly<Record<string, readonly string[]>> = {
  demo_local_connectors: ["multiflows-local/uc1", "multiflows-local/uc2"],
  demo_local_steps: ["multiflows-local/uc1", "multiflows-local/uc2"],
  demo_remote_steps: ["multiflows-remote/uc1", "multiflows-remote/uc2"],
};

/** Manifests pinning the demo plugins (relative to examples/). */
export const DEMO_MANIFESTS = [
  "multiflows-local/uc1/manifest_local.yaml",
  "multiflows-local/uc2/manifest_local.yaml",
  "multiflows-remote/uc1/manifest_smb.yaml",
  "multiflows-remote/uc1/manifest_sftp.yaml",
  "multiflows-remote/uc2/manifest_smb.yaml",
] as const;

async function _sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Rewrite the sha256 of every pin of `plugins/<name>.wasm` in the demo manifests. */
export async function repin(hashes: Readonly<Record<string, string>>): Promise<void> {
  for (const rel of DEMO_MANIFESTS) {
    const file = join(EXAMPLES, rel);
    let text = await Deno.readTextFile(file);
    for (const [name, sha] of Object.entries(hashes)) {
      const pin = new RegExp(`(path: plugins/${name}\\.wasm\\s*\\n\\s*sha256: )[0-9a-f]{64}`, "g");
      text = text.replace(pin, `$1${sha}`);
    }
    await Deno.writeTextFile(file, text);
  }
}

if (import.meta.main) {
  const out = await Deno.makeTempDir({ prefix: "af-demo-plugins-" });
  try {
    const names = Object.keys(DEMO_PLUGINS);
    await buildAssemblyScript(
      names.map((name) => ({
        entry: `examples/plugins/${name}/index.as`,
        outFile: join(out, `${name}.wasm`),
      })),
    );
    const hashes: Record<string, string> = {};
    for (const name of names) {
      hashes[name] = await _sha256(join(out, `${name}.wasm`));
      for (const bundle of DEMO_PLUGINS[name]!) {
        await Deno.mkdir(join(EXAMPLES, bundle, "plugins"), { recursive: true });
        await Deno.copyFile(join(out, `${name}.wasm`), join(EXAMPLES, bundle, "plugins", `${name}.wasm`));
      }
      console.log(`${name}.wasm sha256 ${hashes[name]}`);
    }
    await repin(hashes);
    console.log("manifests re-pinned");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
