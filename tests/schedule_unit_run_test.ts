// The generated units are not only valid and well rated (engine/scheduler/units_test.ts): they still run a
// flow under the conditions they set — the unit's user, environment, working directory, umask, no privileges,
// a read-only system with only the planned directories writable (tests/_unit_sandbox.ts reproduces that
// without systemd). One bundle build for the whole file.
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { bundleArgs } from "../scripts/bundle.ts";
import { ROOT, runCli } from "./_helpers.ts";
import { parseUnitFile, runUnitSandboxed, SANDBOX_SKIP_REASON } from "./_unit_sandbox.ts";

const UID = 61234;

async function _deno(args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name: "a generated unit runs its flow as the unit user, with the unit's env, in its sandbox",
  ignore: SANDBOX_SKIP_REASON !== null,
  fn: async () => {
    // Outside /tmp and /home: the units refuse paths their sandbox hides.
    const base = await Deno.makeTempDir({ dir: "/var/lib", prefix: "af-unit-" });
    const stateName = `${base.split("/").at(-1)}-state`;
    const stateRoot = join("/var/lib", stateName);
    // Visible in the host's /tmp, not in the unit's private one.
    const sentinel = await Deno.makeTempFile({ prefix: "af-unit-sentinel-" });
    try {
      await Deno.chmod(base, 0o755);
      const bin = join(base, "bin");
      const srv = join(base, "srv");
      await Deno.mkdir(bin);
      await Deno.mkdir(join(srv, "flows"), { recursive: true });
      // The product as installed: one file built as `deno task bundle` builds it, started by a wrapper (a
      // compiled binary would do the same).
      await _deno(bundleArgs(join(bin, "aetherflow.js")));
      await Deno.writeTextFile(
        join(bin, "aetherflow"),
        `#!/bin/sh\nDENO_NO_UPDATE_CHECK=1 exec ${Deno.execPath()} run --allow-all --quiet --no-config ` +
          `--v8-flags=--wasm-max-mem-pages=4096 ${join(bin, "aetherflow.js")} "$@"\n`,
      );
      await Deno.chmod(join(bin, "aetherflow"), 0o755);
      await Deno.writeTextFile(
        join(srv, "flows", "nightly.yaml"),
        [
          "flow:",
          "  id: nightly",
          `  state: {path: ${stateRoot}/state/nightly.sqlite}`,
          `  workspace: {root: ${stateRoot}/work, cleanup_policy: never}`,
          "jobs:",
          "  - id: extract",
          "    steps:",
          "      - id: probe",
          "        type: external.process",
          "        inputs:",
          "          command:",
          "            - sh",
          "            - -c",
          "            - >-",
          '              echo "uid=$(id -u) greeting={{ env.GREETING }} home=$HOME";',
          "              touch /usr/af-probe 2>/dev/null && echo usr=writable || echo usr=readonly;",
          `              [ -e ${sentinel} ] && echo tmp=shared || echo tmp=private;`,
          "              touch /tmp/af-probe && echo tmp=writable",
          "",
        ].join("\n"),
      );
      await Deno.writeTextFile(join(srv, "env"), "# unit environment\nGREETING='hello from the env file'\n");
      await Deno.writeTextFile(
        join(srv, "scheduler.yaml"),
        "timezone: UTC\nitems:\n  - {id: nightly, cron: '* * * * *', flow_yaml: flows/nightly.yaml, timeout: 10m}\n",
      );
      const gen = await runCli([
        "schedule",
        "systemd",
        join(srv, "scheduler.yaml"),
        "--out",
        join(base, "units"),
        "--binary",
        join(bin, "aetherflow"),
        "--workdir",
        srv,
        "--environment-file",
        join(srv, "env"),
      ], { cwd: srv });
      assert.equal(gen.code, 0, gen.stderr);
      const service = await Deno.readTextFile(join(base, "units", "aetherflow-nightly.service"));
      const unit = parseUnitFile(service).Service ?? {};
      assert.deepEqual(unit.DynamicUser, ["yes"]);
      assert.deepEqual(unit.StateDirectory, [stateName]);
      assert.equal(unit.ReadWritePaths, undefined);

      const runtimeRoot = join(base, "run");
      await Deno.mkdir(runtimeRoot);
      const opts = { uid: UID, gid: UID, runtimeRoot, triggerUnit: "aetherflow-nightly.timer" };
      const timer = await runUnitSandboxed(service, opts);
      assert.equal(timer.code, 0, `${timer.stdout}\n${timer.stderr}`);
      const out = timer.stdout + timer.stderr;
      const wants = [
        `uid=${UID}`,
        "greeting=hello from the env file",
        "home=/",
        "usr=readonly",
        "tmp=private",
      ];
      for (const want of [...wants, "tmp=writable"]) {
        assert.ok(out.includes(want), `${want}\n${out}`);
      }
      assert.match(out, /Run nightly-\d{8}T\d{4}Z of item nightly finished rc=0/);
      // State: owned by the unit user, private (UMask=0077); the run is recorded.
      const db = join(stateRoot, "state", "nightly.sqlite");
      const st = await Deno.stat(db);
      assert.equal(st.uid, UID);
      assert.equal((st.mode ?? 0) & 0o077, 0);
      const conn = new DatabaseSync(db, { readOnly: true });
      try {
        const rows = conn.prepare("SELECT run_id, status FROM runs").all() as {
          run_id: string;
          status: string;
        }[];
        assert.equal(rows.length, 1);
        assert.match(rows[0]!.run_id, /^nightly-\d{8}T\d{4}Z$/);
        assert.equal(rows[0]!.status, "SUCCESS");
      } finally {
        conn.close();
      }
      // The item lock: in the unit's private runtime directory, 0700 / 0600, owned by the unit user.
      const lockDir = join(runtimeRoot, "aetherflow");
      const dirStat = await Deno.stat(lockDir);
      assert.equal(dirStat.uid, UID);
      assert.equal((dirStat.mode ?? 0) & 0o777, 0o700);
      const lockStat = await Deno.stat(join(lockDir, "aetherflow-nightly.lock"));
      assert.equal(lockStat.uid, UID);
      assert.equal((lockStat.mode ?? 0) & 0o077, 0);

      // The run-now unit, started by hand: a manual run id, same sandbox.
      const manual = await Deno.readTextFile(join(base, "units", "aetherflow-nightly-now.service"));
      const now = await runUnitSandboxed(manual, { ...opts, triggerUnit: undefined });
      assert.equal(now.code, 0, `${now.stdout}\n${now.stderr}`);
      assert.match(now.stdout + now.stderr, /Run nightly-manual-\d{8}T\d{6}Z of item nightly finished rc=0/);
    } finally {
      await Deno.remove(base, { recursive: true }).catch(() => {});
      await Deno.remove(stateRoot, { recursive: true }).catch(() => {});
      await Deno.remove(sentinel).catch(() => {});
    }
  },
});
