// The same entry point must work bundled (`deno task bundle`): build it and drive the CLI through it.
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { bundleArgs } from "../scripts/bundle.ts";
import { compileArgs, V8_FLAGS } from "../scripts/compile.ts";
import { ROOT, stateRows, tempDir } from "./_helpers.ts";
import { sftpDir, sftpService, writeServedFile } from "./_services.ts";

const sftp = sftpService();

async function _deno(args: string[], cwd = ROOT, env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

// One build for the file, made exactly as `deno task bundle` makes it, in a directory without node_modules.
Deno.test("deno task bundle output runs the CLI without node_modules: validate, plugin new, an sftp flow", async (t) => {
  await using dir = await tempDir();
  const js = join(dir.path, "aetherflow.js");
  const built = await _deno(bundleArgs(js));
  assert.equal(built.code, 0, built.stderr);
  const run = (args: string[], env: Record<string, string> = {}) =>
    _deno(["run", "--allow-all", "--quiet", "--no-config", V8_FLAGS, js, ...args], dir.path, env);

  await t.step("--version, validate ok and invalid", async () => {
    const version = await run(["--version"]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), denoJson.version);
    const ok = await run(["validate", join(ROOT, "testdata/flows/valid/minimal.yaml")]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^OK: /);
    const bad = await run(["validate", "--json", join(ROOT, "testdata/flows/invalid/typos.yaml")]);
    assert.equal(bad.code, 2);
    const report = JSON.parse(bad.stdout);
    assert.equal(report.ok, false);
    assert.ok(report.errors.length > 0);
  });

  await t.step("the scaffold's SDK travels inside the bundle (no loose files next to it)", async () => {
    const scaffold = await run(["plugin", "new", "acme"]);
    assert.equal(scaffold.code, 0, scaffold.stderr);
    assert.match(
      await Deno.readTextFile(join(dir.path, "acme", "assembly", "aetherflow", "extism.ts")),
      /input_length/,
    );
  });

  // ssh2 is imported lazily by the sftp steps; bundled, its native addons are missing and it must fall back
  // to its pure-JS crypto (docs/install.md "Connector libraries in the bundle").
  await t.step({
    name: "an sftp flow: list and download through the lazily imported ssh2",
    ignore: sftp.ignore,
    fn: async () => {
      const s = sftp.get();
      await using remote = await sftpDir("password");
      const payload = crypto.getRandomValues(new Uint8Array(65_536));
      await writeServedFile(remote, "in/data.bin", payload);
      const flow = join(dir.path, "sftp.yaml");
      await Deno.writeTextFile(flow, _sftpFlow(dir.path, `${remote.remote}/in`));
      const res = await run(["run", flow, "--run-id", "B1"], {
        SFTP_HOST: s.host,
        SFTP_PORT: String(s.port),
        SFTP_USER: s.passwordUser.user,
        SFTP_PASS: s.passwordUser.password,
        SFTP_HOST_KEY: s.hostKeyFingerprint,
      });
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      const out = JSON.parse(
        stateRows(
          join(dir.path, "state.sqlite"),
          "SELECT output_json FROM step_runs WHERE step_id = 'download'",
        )[0]!
          .output_json as string,
      );
      assert.equal(out.local_files.length, 1);
      assert.deepEqual(await Deno.readFile(out.local_files[0]), payload);
    },
  });
});

function _sftpFlow(dir: string, remoteDir: string): string {
  return `flow:
  id: bundled_sftp
  workspace: {root: ${dir}/ws, cleanup_policy: never}
  state: {path: ${dir}/state.sqlite}
resources:
  sftp_main:
    kind: sftp
    driver: paramiko
    config:
      host: "{{env.SFTP_HOST}}"
      port: "{{env.SFTP_PORT}}"
      user: "{{env.SFTP_USER}}"
      password: "{{env.SFTP_PASS}}"
      host_key_fingerprint: "{{env.SFTP_HOST_KEY}}"
jobs:
  - id: fetch
    steps:
      - id: list
        type: sftp_list_files
        inputs: {resource: sftp_main, remote_dir: "${remoteDir}", pattern: "*.bin"}
      - id: download
        type: sftp_download_files
        inputs: {resource: sftp_main, files: "{{steps.list.files}}", dest_dir: inbox}
`;
}

Deno.test("bundle task builds with the arguments the tests use", () => {
  assert.match(denoJson.tasks.bundle, /scripts\/bundle\.ts/);
  const args = bundleArgs("x.js");
  assert.equal(args[0], "bundle");
  assert.equal(args[args.indexOf("--external") + 1], "*.node");
  assert.equal(args[args.indexOf("-o") + 1], "x.js");
  assert.equal(args.at(-1), "cli/main.ts");
});

Deno.test("compile task bakes narrow permissions (no --allow-all, no --allow-ffi) into dist/aetherflow", () => {
  const args = compileArgs();
  assert.equal(args[0], "compile");
  assert.ok(!args.includes("--allow-all") && !args.includes("-A"));
  assert.ok(!args.some((a) => a.startsWith("--allow-ffi")));
  assert.equal(args[args.indexOf("--output") + 1], "dist/aetherflow");
  assert.equal(args.at(-1), "cli/main.ts");
  assert.match(denoJson.tasks.compile, /scripts\/compile\.ts/);
});
