// kill -9 a bundle sync at ≥50 seeded random instants: `active` must resolve, at every one of them, to one
// complete version (docs/bundles.md "Activation"), and the next sync must recover. The child syncs three
// sources round-robin, so every sync stages, swaps `active` and prunes an old version. Replay a failure with
// BUNDLE_CRASH_SEED=<seed printed below>; BUNDLE_CRASH_KILLS raises the count.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "./_helpers.ts";
import { prng } from "./_prng.ts";
import { loadManifest } from "../engine/bundles/load_manifest.ts";
import { syncBundle } from "../engine/bundles/sync.ts";
import { bundleLayout } from "../engine/bundles/layout.ts";
import { resolveActive } from "../engine/bundles/activate.ts";
import { readTree } from "../engine/bundles/_test_kit.ts";

const CHILD = fileURLToPath(new URL("./_bundle_sync_child.ts", import.meta.url));
const FILES = 20;

function tree(tag: string): Record<string, string> {
  const out: Record<string, string> = { "flows/main.yaml": `flow: {id: ${tag}}\njobs: []\n` };
  for (let i = 0; i < FILES; i++) {
    out[`data/f${String(i).padStart(2, "0")}.txt`] = `${tag}-${i}\n`.repeat(50 + i);
  }
  return out;
}

/** Which tag a materialised tree is an exact copy of, or a description of what is wrong. */
function matchTree(got: Record<string, string>, trees: Map<string, Record<string, string>>): string {
  for (const [tag, want] of trees) {
    const keys = Object.keys(want);
    if (Object.keys(got).length === keys.length && keys.every((k) => got[k] === want[k])) return tag;
  }
  return `no match (${Object.keys(got).length} files)`;
}

Deno.test("bundle sync survives ≥50 SIGKILLs: active always resolves to one complete version", async () => {
  await using dir = await tempDir("af-bundle-crash-");
  const seed = Number(Deno.env.get("BUNDLE_CRASH_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const kills = Number(Deno.env.get("BUNDLE_CRASH_KILLS") ?? 50);
  console.log(`bundle crash seed: ${seed} (replay with BUNDLE_CRASH_SEED=${seed})`);
  const rand = prng(seed);
  const workRoot = join(dir.path, "wr");
  const trees = new Map<string, Record<string, string>>();
  const manifests: string[] = [];
  for (const [n, tag] of ["a", "b", "c"].entries()) {
    trees.set(tag, tree(tag));
    // The trees have equal sizes and are written within a few ms, which the fingerprint (size + mtime, to the
    // file system's clock tick) may not tell apart: a distinct mtime per tree keeps the three fingerprints apart.
    const mtime = new Date(1_700_000_000_000 + n * 1000);
    for (const [rel, text] of Object.entries(trees.get(tag)!)) {
      await Deno.mkdir(join(dir.path, tag, rel, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir.path, tag, rel), text);
      await Deno.utime(join(dir.path, tag, rel), mtime, mtime);
    }
    const m = join(dir.path, `m_${tag}.yaml`);
    await Deno.writeTextFile(
      m,
      `bundle:\n  id: crash\n  source: {type: filesystem, base_path: ${tag}}\n` +
        "  layout: {profiles_file: profiles.yaml}\n  entry_flow: flows/main.yaml\n",
    );
    manifests.push(m);
    await Deno.writeTextFile(`${m}.json`, JSON.stringify(await loadManifest(m)));
  }
  // The first sync happens before any kill (there is no `active` to protect before it); it also times one sync.
  const layout = bundleLayout(workRoot, "crash");
  const t0 = performance.now();
  await syncBundle({ manifest: await loadManifest(manifests[0]!), workRoot });
  const syncMs = Math.max(5, performance.now() - t0);
  const seenTags = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < kills; i++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", CHILD, workRoot, ...manifests.map((m) => `${m}.json`)],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    // Anywhere in the first few syncs: staging, the swap, the snapshot write, the pruning.
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 3 * syncMs)));
    child.kill("SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.status;
    const active = await resolveActive(layout);
    if (active === undefined) {
      problems.push(`kill ${i}: active does not resolve`);
      continue;
    }
    const tag = matchTree(await readTree(active), trees);
    if (tag.length > 1) problems.push(`kill ${i}: active is ${tag}`);
    else seenTags.add(tag);
    // No version directory is ever partial: each one is an exact copy of a source.
    for await (const v of Deno.readDir(layout.versions)) {
      const vt = matchTree(await readTree(join(layout.versions, v.name)), trees);
      if (vt.length > 1) problems.push(`kill ${i}: versions/${v.name} is ${vt}`);
    }
  }
  // Recovery: the next sync cleans up and activates the requested source.
  const final = await syncBundle({ manifest: await loadManifest(manifests[1]!), workRoot });
  assert.equal(matchTree(await readTree(final.versionDir), trees), "b");
  assert.deepEqual([...Deno.readDirSync(layout.staged)], []);
  assert.equal(await Deno.lstat(layout.activeNew).then(() => true, () => false), false);
  console.log(
    `kills=${kills} sync≈${Math.round(syncMs)}ms active tags seen: ${[...seenTags].sort().join(",")}`,
  );
  assert.deepEqual(problems, [], `seed ${seed}`);
  // The kills landed inside syncs that got far enough to switch versions (else the test proved little).
  assert.ok(seenTags.size >= 2, `seed ${seed}: active never changed under the kills`);
});
