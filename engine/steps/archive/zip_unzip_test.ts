// `zip` and `unzip` steps over real files: item rules, connector choice (input, archive_default, ad hoc,
// enterprise), target folders, SKIPPED/empty cases, and secrets handed to the masker.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConnectorAccessor, ConnectorRegistry } from "../../connectors/mod.ts";
import type { AccessorResource } from "../../connectors/mod.ts";
import {
  aesBits,
  craftZip,
  readTree,
  scratch,
  sh,
  writeTree,
} from "../../connectors/drivers/_archive_test_kit.ts";
import { fakeContext, runStep } from "../_test_context.ts";
import type { StepContext } from "../types.ts";
import { unzipStep, unzipTarget } from "./unzip.ts";
import { zipStep } from "./zip.ts";

const PW = "Step-Zip-Pass-99";

interface _Ctx {
  ctx: StepContext;
  artifacts: string;
  secrets: string[];
}

function _ctx(
  workRoot: string,
  options: { resources?: Record<string, AccessorResource>; env?: Record<string, string> } = {},
): _Ctx {
  const connectors = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: options.resources ?? {},
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const ctx = fakeContext({ workRoot, connectors, env: options.env });
  const secrets: string[] = [];
  ctx.addSecret = (v) => secrets.push(v);
  Deno.mkdirSync(ctx.artifactsDir, { recursive: true });
  return { ctx, artifacts: ctx.artifactsDir, secrets };
}

const _archive = (driver: string, config: Record<string, unknown> = {}): AccessorResource => ({
  kind: "archive",
  driver,
  config,
  options: {},
  decode: {},
});

async function _names(zipPath: string): Promise<string[]> {
  const { code, out } = await sh("unzip", ["-Z1", zipPath]);
  assert.equal(code, 0, out);
  return out.trim().split("\n").sort();
}

Deno.test("zip: a directory, a glob and a path; names relative to src_dir; missing items ignored", async () => {
  await using dir = await scratch();
  const { ctx, artifacts } = _ctx(dir.path);
  await writeTree(artifacts, {
    "data/a.csv": "a",
    "data/sub/b.csv": "b",
    "reports/r1.txt": "r1",
    "reports/r2.txt": "r2",
    "reports/skip.log": "no",
    "one.txt": "1",
  });
  const r = await runStep(zipStep, {
    dest_path: "out/bundle.zip",
    items: ["data", "reports/*.txt", { path: "one.txt" }, "missing.txt", { glob: "nowhere/*.x" }],
  }, ctx);
  const output = join(artifacts, "out/bundle.zip");
  assert.deepEqual(r, {
    status: "SUCCESS",
    outputs: { output, count: 5, password: false, driver: "zipfile", src_dir: artifacts },
  });
  assert.deepEqual(await _names(output), [
    "data/a.csv",
    "data/sub/b.csv",
    "one.txt",
    "reports/r1.txt",
    "reports/r2.txt",
  ]);
});

Deno.test("zip: recursive false ignores directories; nothing matched is SKIPPED before any connector is chosen", async () => {
  await using dir = await scratch();
  // Enterprise without an archive resource would fail the connector choice: SKIPPED comes first.
  const { ctx, artifacts } = _ctx(dir.path, { env: { AETHERFLOW_MODE: "enterprise" } });
  await writeTree(artifacts, { "data/a.csv": "a" });
  const r = await runStep(
    zipStep,
    { dest_path: "out.zip", items: ["data", "*.none"], recursive: false },
    ctx,
  );
  assert.deepEqual(r, {
    status: "SKIPPED",
    outputs: { output: join(artifacts, "out.zip"), count: 0 },
    reason: "no_files",
  });
  await assert.rejects(Deno.stat(join(artifacts, "out.zip")), Deno.errors.NotFound);
});

Deno.test("zip: an item outside src_dir fails naming both", async () => {
  await using dir = await scratch();
  const { ctx, artifacts } = _ctx(dir.path);
  await writeTree(artifacts, { "in/a.txt": "a", "other/b.txt": "b" });
  await assert.rejects(
    runStep(zipStep, { dest_path: "o.zip", items: ["in", "other"], src_dir: "in" }, ctx),
    {
      message: `zip input '${join(artifacts, "other/b.txt")}' is outside base_dir '${join(artifacts, "in")}'`,
    },
  );
});

Deno.test("zip: ad hoc AES with a password (registered as a secret); an empty password means none", async () => {
  await using dir = await scratch();
  const { ctx, artifacts, secrets } = _ctx(dir.path);
  await writeTree(artifacts, { "a.txt": "a" });
  const r = await runStep(zipStep, { dest_path: "aes.zip", items: ["a.txt"], password: PW }, ctx);
  assert.equal(r.outputs?.driver, "pyzipper");
  assert.equal(r.outputs?.password, true);
  assert.equal(aesBits(await Deno.readFile(join(artifacts, "aes.zip"))), 256);
  assert.deepEqual(secrets, [PW, PW]); // the step and the driver both register it
  const plain = await runStep(zipStep, { dest_path: "plain.zip", items: ["a.txt"], password: "" }, ctx);
  assert.deepEqual([plain.outputs?.driver, plain.outputs?.password], ["zipfile", false]);
});

Deno.test("zip: resource / connector input, else archive_default, else refused in enterprise mode", async () => {
  await using dir = await scratch();
  const resources = {
    crypto: _archive("pyminizip"),
    archive_default: _archive("os"),
  };
  const { ctx, artifacts } = _ctx(dir.path, { resources });
  await writeTree(artifacts, { "a.txt": "a" });
  const viaConnector = await runStep(zipStep, {
    dest_path: "c.zip",
    items: ["a.txt"],
    connector: "crypto",
    password: PW,
  }, ctx);
  assert.equal(viaConnector.outputs?.driver, "pyminizip");
  const viaDefault = await runStep(zipStep, { dest_path: "d.zip", items: ["a.txt"] }, ctx);
  assert.equal(viaDefault.outputs?.driver, "os");

  const ent = _ctx(dir.path, { env: { AETHERFLOW_MODE: "enterprise" } });
  await writeTree(ent.artifacts, { "a.txt": "a" });
  await assert.rejects(runStep(zipStep, { dest_path: "e.zip", items: ["a.txt"] }, ent.ctx), {
    message: "Zip/Unzip requires declared archive resource in enterprise mode",
  });
  const wrongKind = _ctx(dir.path, { resources: { db: { ...resources.crypto, kind: "db" } } });
  await assert.rejects(
    runStep(zipStep, { dest_path: "e.zip", items: ["a.txt"], resource: "db" }, wrongKind.ctx),
    {
      message: "Resource db is kind=db, requested kind=archive",
    },
  );
});

Deno.test("zip: dest_path outside the sandbox is refused before anything is written", async () => {
  await using dir = await scratch();
  const { ctx, artifacts } = _ctx(join(dir.path, "ws"));
  await writeTree(artifacts, { "a.txt": "a" });
  const outside = join(dir.path, "elsewhere.zip");
  await assert.rejects(runStep(zipStep, { dest_path: outside, items: ["a.txt"] }, ctx), (e: Error) => {
    assert.match(e.message, /^Path not under allowed roots: /);
    return true;
  });
  await assert.rejects(Deno.stat(outside), Deno.errors.NotFound);
});

Deno.test("unzipTarget(): under src_dir keeps the relative folder (or a private one); elsewhere a folder per archive", () => {
  assert.equal(unzipTarget("/s/in/sub/a.zip", "/s/in", "/d", false), "/d/sub");
  assert.equal(unzipTarget("/s/in/sub/a.zip", "/s/in", "/d", true), "/d/sub/a");
  assert.equal(unzipTarget("/s/in/a.zip", "/s/in", "/d", false), "/d");
  assert.equal(unzipTarget("/x/a.zip", "/s/in", "/d", false), "/d/a.zip");
});

Deno.test("unzip: archives land per target folder; missing ones are skipped; outputs list what was written", async () => {
  await using dir = await scratch();
  const { ctx, artifacts } = _ctx(dir.path);
  await Deno.mkdir(join(artifacts, "inbox/sub"), { recursive: true });
  await craftZip(join(artifacts, "inbox/a.zip"), [{ name: "data.csv", text: "id\n1\n" }]);
  await craftZip(join(artifacts, "inbox/sub/b.zip"), [{ name: "notes/readme.txt", text: "hello\n" }]);
  const r = await runStep(unzipStep, {
    archives: ["inbox/a.zip", "inbox/sub/b.zip", "inbox/gone.zip", "inbox"],
    src_dir: "inbox",
    dest_dir: "unzipped",
  }, ctx);
  const dest = join(artifacts, "unzipped");
  assert.deepEqual(await readTree(dest), { "data.csv": "id\n1\n", "sub/notes/readme.txt": "hello\n" });
  assert.deepEqual(r.outputs, {
    unzipped: [
      {
        dest_dir: dest,
        files: [join(dest, "data.csv")],
        password: false,
        driver: "zipfile",
        archive: join(artifacts, "inbox/a.zip"),
      },
      {
        dest_dir: join(dest, "sub"),
        files: [join(dest, "sub/notes/readme.txt")],
        password: false,
        driver: "zipfile",
        archive: join(artifacts, "inbox/sub/b.zip"),
      },
    ],
    dest_dir: dest,
  });
});

Deno.test("unzip: null or [] archives is an empty SUCCESS; members narrows; an unsafe archive fails the step", async () => {
  await using dir = await scratch();
  const { ctx, artifacts } = _ctx(dir.path);
  assert.deepEqual(await runStep(unzipStep, { archives: null, dest_dir: "x" }, ctx), {
    status: "SUCCESS",
    outputs: {},
  });
  assert.deepEqual(await runStep(unzipStep, { archives: [], dest_dir: "x" }, ctx), {
    status: "SUCCESS",
    outputs: {},
  });
  await craftZip(join(artifacts, "two.zip"), [{ name: "a.txt", text: "a" }, { name: "b.txt", text: "b" }]);
  await runStep(unzipStep, { archives: "two.zip", dest_dir: "m", members: ["b.txt"] }, ctx);
  assert.deepEqual(await readTree(join(artifacts, "m")), { "b.txt": "b" });
  await craftZip(join(artifacts, "evil.zip"), [{ name: "../../../escape.txt", text: "x" }]);
  await assert.rejects(runStep(unzipStep, { archives: ["evil.zip"], dest_dir: "e" }, ctx), {
    message:
      `Unsafe zip entry '../../../escape.txt' in ${join(artifacts, "evil.zip")}: '..' segment escapes ` +
      "dest_dir; nothing was extracted",
  });
  assert.deepEqual(await readTree(join(artifacts, "e")), {});
});

Deno.test("unzip: an encrypted archive with its password; the password is registered before anything runs", async () => {
  await using dir = await scratch();
  const { ctx, artifacts, secrets } = _ctx(dir.path);
  await writeTree(artifacts, { "src/a.txt": "secret data" });
  await runStep(zipStep, { dest_path: "enc.zip", items: ["src/a.txt"], src_dir: "src", password: PW }, ctx);
  secrets.length = 0;
  const r = await runStep(unzipStep, { archives: ["enc.zip"], dest_dir: "x", password: PW }, ctx);
  assert.equal(secrets[0], PW);
  assert.deepEqual(await readTree(join(artifacts, "x")), { "a.txt": "secret data" });
  assert.equal((r.outputs?.unzipped as { password: boolean }[])[0]?.password, true);
});
