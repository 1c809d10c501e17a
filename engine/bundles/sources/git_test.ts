import assert from "node:assert/strict";
import { join } from "node:path";
import { bundleFixture, readTree } from "../_test_kit.ts";
import { bundleLayout } from "../layout.ts";

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.invalid", "-c", "user.name=t", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

/** A repository with a bundle under `deploy/`, committed; returns the commit id. */
async function commitTree(repo: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(join(repo, rel, ".."), { recursive: true });
    await Deno.writeTextFile(join(repo, rel), text);
  }
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "-m", message);
  return await git(repo, "rev-parse", "HEAD");
}

function gitManifest(repo: string, extra: string): string {
  return [
    "bundle:",
    "  id: g1",
    `  source: {type: git, url: "${repo}", ${extra}}`,
    "  layout: {profiles_file: profiles.yaml}",
    "  entry_flow: flows/main.yaml",
  ].join("\n");
}

async function repoFixture(extra: string) {
  const fx = await bundleFixture();
  const repo = join(fx.dir, "repo");
  await Deno.mkdir(repo);
  await git(repo, "init", "-q", "-b", "main");
  await fx.setManifest(gitManifest(repo, extra));
  return { fx, repo };
}

const TREE = {
  "deploy/flows/main.yaml": "flow: {id: main}\njobs: []\n",
  "deploy/profiles.yaml": "{}\n",
  "README.md": "outside base_path\n",
};

Deno.test("git source: follows a branch, records the resolved commit, lists base_path only", async () => {
  const { fx, repo } = await repoFixture("ref: main, base_path: deploy");
  await using _ = fx;
  const c1 = await commitTree(repo, TREE, "one");
  const r1 = await fx.sync();
  assert.deepEqual([r1.changed, r1.commit], [true, c1]);
  assert.deepEqual(Object.keys(await readTree(r1.local_root)), ["flows/main.yaml", "profiles.yaml"]);
  const r2 = await fx.sync();
  assert.deepEqual([r2.changed, r2.commit], [false, c1]);
  const c2 = await commitTree(repo, { "deploy/profiles.yaml": "p: {}\n", "README.md": "edited\n" }, "two");
  const r3 = await fx.sync();
  assert.deepEqual([r3.changed, r3.commit, r3.fetched_files], [true, c2, ["profiles.yaml"]]);
  const layout = bundleLayout(fx.workRoot, "g1");
  const snap = JSON.parse(await Deno.readTextFile(join(layout.fingerprints, `${r3.fingerprint}.json`)));
  assert.equal(snap.source.commit, c2);
  assert.equal(snap.source.ref, "main");
  assert.match(snap.files[0].blob, /^[0-9a-f]{40}$/);
  // A commit that only touches files outside base_path keeps the fingerprint (signatures are blob ids).
  await commitTree(repo, { "README.md": "again\n" }, "three");
  const r4 = await fx.sync();
  assert.equal(r4.changed, false);
});

Deno.test("git source: a pinned commit stays put; an unknown ref is named", async () => {
  const { fx, repo } = await repoFixture("ref: main, base_path: deploy");
  await using _ = fx;
  const c1 = await commitTree(repo, TREE, "one");
  await commitTree(repo, { "deploy/profiles.yaml": "p: {}\n" }, "two");
  await fx.setManifest(gitManifest(repo, `commit: "${c1.slice(0, 10)}", base_path: deploy`));
  const r = await fx.sync();
  assert.equal(r.commit, c1);
  assert.equal(await Deno.readTextFile(join(r.local_root, "profiles.yaml")), "{}\n");
  await fx.setManifest(gitManifest(repo, "ref: nope"));
  await assert.rejects(fx.sync(), { exitCode: 1, message: "Unknown git ref: nope" });
  await fx.setManifest(gitManifest(repo, `commit: "${"0".repeat(40)}"`));
  await assert.rejects(fx.sync(), { message: `Unknown git commit: ${"0".repeat(40)}` });
});

Deno.test("git source: the default branch when neither ref nor commit is given", async () => {
  const { fx, repo } = await repoFixture("base_path: deploy");
  await using _ = fx;
  const c1 = await commitTree(repo, TREE, "one");
  assert.equal((await fx.sync()).commit, c1);
});

Deno.test("git source: a symlink inside the bundle is followed, one leaving it is refused", async () => {
  const { fx, repo } = await repoFixture("ref: main, base_path: deploy");
  await using _ = fx;
  await commitTree(repo, TREE, "one");
  await Deno.symlink("profiles.yaml", join(repo, "deploy", "alias.yaml"));
  await commitTree(repo, {}, "in-tree link");
  const r = await fx.sync();
  assert.equal(await Deno.readTextFile(join(r.local_root, "alias.yaml")), "{}\n");
  for (const target of ["../README.md", "/etc/passwd"]) {
    await Deno.remove(join(repo, "deploy", "alias.yaml"));
    await Deno.symlink(target, join(repo, "deploy", "alias.yaml"));
    await commitTree(repo, {}, `link to ${target}`);
    await assert.rejects(fx.sync(), {
      code: "bundle:unsafe_entry",
      message: `Unsafe bundle entry: alias.yaml (symbolic link to ${target} leaves the bundle; source=git)`,
    });
  }
});

Deno.test("git source: a failing remote is reported without credentials", async () => {
  const { fx } = await repoFixture("ref: main");
  await using _ = fx;
  await fx.setManifest(gitManifest("https://user:s3cret@127.0.0.1:1/repo.git", "ref: main"));
  const err = await fx.sync().catch((e) => e);
  assert.match(err.message, /^git failed \(fetch https:\/\/\*\*\*@127\.0\.0\.1:1\/repo\.git main\): /);
  assert.ok(!err.message.includes("s3cret"));
});
