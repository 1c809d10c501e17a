// Child process of tests/bundle_crash_test.ts: sync the same bundle from each manifest given (already validated
// by the parent, as JSON), round-robin, until killed. Imports only the sync (fast start); prints `ready` once
// loaded so the parent's random delay lands inside syncs.
import { syncBundle } from "../engine/bundles/sync.ts";
import type { BundleManifest } from "../engine/bundles/load_manifest.ts";

const [workRoot, ...manifestFiles] = Deno.args;
const manifests: BundleManifest[] = await Promise.all(
  manifestFiles.map(async (p) => JSON.parse(await Deno.readTextFile(p))),
);
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
for (let i = 0;; i++) {
  await syncBundle({ manifest: manifests[i % manifests.length]!, workRoot: workRoot! });
}
