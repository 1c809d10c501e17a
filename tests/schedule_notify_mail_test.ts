// Failure notification by mail (docs/scheduling.md "Failure notification"): `schedule notify` sends one mail
// through a flow's mail:smtp resource to a real SMTP sink, and `schedule systemd --notify-mail` renders an
// aetherflow-notify@.service whose ExecStart, run the way systemd would (its Environment= lines, its
// EnvironmentFile, %i/%H expanded), delivers that mail.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MAIN, runCli, SERVER_DIR_SKIP_REASON, serverDir, tempDir } from "./_helpers.ts";
import { startSmtpSink } from "./_smtp_sink.ts";
import { testCertificates } from "./_tls_certs.ts";

const PASS = "Notify-Smtp-Pass-2718";

function notifyFlow(ca: string, port: number, extra = ""): string {
  return `flow:
  id: notify
  state: {path: /nonexistent/never-written.sqlite}
resources:
  mailer:
    kind: mail
    driver: smtp
    config: {host: localhost, port: ${port}, starttls: true, username: ops, password: "{{env.SMTP_PASS}}",
             from_addr: etl@example.test}
    options: {ca_file: ${ca}, timeout: 20}
${extra}jobs:
  - id: a
    steps:
      - {id: s, type: check_items, inputs: {items: [1]}}
`;
}

Deno.test("schedule notify: one failure mail through the flow's mail resource; bad input exits 2, a failed send 1", async () => {
  const certs = await testCertificates();
  await using sink = await startSmtpSink({ mode: "starttls", tls: certs, auth: { user: "ops", pass: PASS } });
  await using dir = await tempDir();
  const flow = join(dir.path, "notify.yaml");
  await Deno.writeTextFile(flow, notifyFlow(certs.caCertPath, sink.port));
  const env = {
    SMTP_PASS: PASS,
    AETHERFLOW_FAILED_UNIT: "aetherflow-nightly.service",
    AETHERFLOW_HOST: "etl-01",
  };

  const ok = await runCli([
    "schedule",
    "notify",
    flow,
    "--to",
    "ops@example.test",
    "--to",
    "dba@example.test",
  ], {
    env,
  });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /mail about aetherflow-nightly\.service sent to 2 recipient\(s\) via mailer/);
  const [mail] = await sink.waitForMessages(1);
  assert.deepEqual(mail!.to, ["ops@example.test", "dba@example.test"]);
  assert.equal(mail!.secure, true);
  const parsed = await mail!.parsed();
  assert.equal(parsed.subject, "[aetherflow] aetherflow-nightly.service failed on etl-01");
  assert.equal(parsed.from?.text, "etl@example.test");
  assert.match(parsed.text ?? "", /^The systemd unit aetherflow-nightly\.service failed on etl-01 at \d{4}-/);
  assert.match(parsed.text ?? "", /journalctl -u aetherflow-nightly\.service/);

  // --unit wins over the environment; nothing else is needed.
  const unit = await runCli(["schedule", "notify", flow, "--to", "ops@example.test", "--unit", "x.service"], {
    env: { SMTP_PASS: PASS },
  });
  assert.equal(unit.code, 0, unit.stderr);
  assert.match(
    (await (await sink.waitForMessages(2))[1]!.parsed()).subject ?? "",
    /^\[aetherflow\] x\.service failed on /,
  );

  // A login the server refuses: exit 1, the reason without the password.
  const bad = await runCli(["schedule", "notify", flow, "--to", "ops@example.test"], {
    env: { ...env, SMTP_PASS: "wrong-notify-pass-99" },
  });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /ERROR schedule notify: resource mailer: .*SMTP login failed/);
  assert.ok(!bad.stderr.includes("wrong-notify-pass-99") && !bad.stdout.includes("wrong-notify-pass-99"));

  // Invalid input: exit 2 and nothing sent.
  const noUnit = await runCli(["schedule", "notify", flow, "--to", "ops@example.test"], {
    env: { SMTP_PASS: PASS },
  });
  assert.equal(noUnit.code, 2);
  assert.match(noUnit.stderr, /needs --unit or AETHERFLOW_FAILED_UNIT/);
  const noRes = await runCli(["schedule", "notify", flow, "--to", "o@example.test", "--resource", "relay"], {
    env,
  });
  assert.equal(noRes.code, 2);
  assert.match(noRes.stderr, /No resource 'relay' in .*notify\.yaml\. Declared: \["mailer"\]/);
  const noEnv = await runCli(["schedule", "notify", flow, "--to", "o@example.test"], {
    env: { AETHERFLOW_FAILED_UNIT: "u.service" },
  });
  assert.equal(noEnv.code, 2);
  assert.match(noEnv.stderr, /SMTP_PASS/);
  const twoFlow = join(dir.path, "two.yaml");
  await Deno.writeTextFile(
    twoFlow,
    notifyFlow(
      certs.caCertPath,
      sink.port,
      "  relay: {kind: mail, driver: smtp, config: {host: localhost}}\n",
    ),
  );
  const two = await runCli(["schedule", "notify", twoFlow, "--to", "o@example.test"], { env });
  assert.equal(two.code, 2);
  assert.match(
    two.stderr,
    /Several mail resources in .*two\.yaml \(mailer, relay\): choose one with --resource/,
  );

  assert.equal(sink.messages.length, 2);
  for (const r of [ok, unit, noRes, noEnv, two]) {
    assert.ok(!r.stderr.includes(PASS) && !r.stdout.includes(PASS));
  }
});

/** The words of an ExecStart= line, unquoted and with the specifiers of a notify instance expanded. */
function _execWords(line: string, instance: string, host: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) {
    const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!;
    words.push(
      raw.replace(
        /%%|%i|%H|\$\$/g,
        (s) => (s === "%%" ? "%" : s === "%i" ? instance : s === "%H" ? host : "$"),
      ),
    );
  }
  return words;
}

Deno.test({
  name:
    "schedule systemd --notify-mail: the notify template's ExecStart, run as systemd would, delivers the mail",
  ignore: SERVER_DIR_SKIP_REASON !== null,
  fn: async () => {
    const certs = await testCertificates();
    await using sink = await startSmtpSink({
      mode: "starttls",
      tls: certs,
      auth: { user: "ops", pass: PASS },
    });
    await using dir = (await serverDir())!;
    // The CA must be readable by the unit: not under /tmp (PrivateTmp).
    const ca = join(dir.path, "ca.crt");
    await Deno.copyFile(certs.caCertPath, ca);
    const notify = join(dir.path, "notify.yaml");
    await Deno.writeTextFile(notify, notifyFlow(ca, sink.port));
    await Deno.writeTextFile(
      join(dir.path, "f.yaml"),
      `flow:\n  id: f\n  state: {path: /var/lib/aetherflow/f.sqlite}\n  workspace: {root: /var/lib/aetherflow/work}\n` +
        "jobs:\n  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: []}}\n",
    );
    const scheduler = join(dir.path, "s.yaml");
    await Deno.writeTextFile(
      scheduler,
      "timezone: UTC\nitems:\n  - {id: nightly, cron: '0 4 * * *', flow_yaml: f.yaml}\n",
    );
    const envFile = join(dir.path, "aetherflow.env");
    await Deno.writeTextFile(envFile, `SMTP_PASS=${PASS}\n`);
    // A stand-in for the compiled binary: this checkout's CLI with the test's module cache.
    const binary = join(dir.path, "aetherflow");
    const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache/deno`;
    await Deno.writeTextFile(
      binary,
      `#!/bin/sh\nDENO_DIR='${denoDir}' exec '${Deno.execPath()}' run --allow-all --quiet '${MAIN}' "$@"\n`,
    );
    await Deno.chmod(binary, 0o755);
    const out = join(dir.path, "units");
    const args = [
      "schedule",
      "systemd",
      scheduler,
      "--out",
      out,
      "--binary",
      binary,
      "--environment-file",
      envFile,
    ];
    const gen = await runCli([...args, "--notify-mail", notify, "--notify-to", "ops@example.test"], {
      cwd: dir.path,
    });
    assert.equal(gen.code, 0, gen.stderr);
    const service = await Deno.readTextFile(join(out, "aetherflow-nightly.service"));
    assert.ok(service.split("\n").includes("OnFailure=aetherflow-notify@%n.service"), service);
    const unit = await Deno.readTextFile(join(out, "aetherflow-notify@.service"));
    const lines = unit.split("\n");
    const exec = lines.find((l) => l.startsWith("ExecStart="))!;
    assert.equal(
      exec,
      `ExecStart=${binary} schedule notify ${notify} --resource mailer --to ops@example.test`,
    );
    for (
      const want of ["DynamicUser=yes", `EnvironmentFile=${envFile}`, "Environment=AETHERFLOW_FAILED_UNIT=%i"]
    ) {
      assert.ok(lines.includes(want), want);
    }
    assert.ok(!unit.includes(PASS));
    // systemd-analyze verifies a template through an instance of it (where systemd-analyze exists).
    const instance = "aetherflow-notify@aetherflow-nightly.service.service";
    await Deno.copyFile(join(out, "aetherflow-notify@.service"), join(out, instance));
    try {
      const v = new Deno.Command("systemd-analyze", { args: ["verify", instance], cwd: out, stderr: "piped" })
        .outputSync();
      assert.equal(v.code, 0, new TextDecoder().decode(v.stderr));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      console.warn("systemd-analyze not found on PATH: unit verification skipped");
    }

    // Run the ExecStart as the unit would: its environment (Environment= lines, the EnvironmentFile), %i the
    // failed unit, %H this host.
    const env: Record<string, string> = { PATH: "/usr/local/bin:/usr/bin:/bin" };
    for (const l of lines.filter((l) => l.startsWith("Environment="))) {
      const [k, ...v] = _execWords(l.slice("Environment=".length), "aetherflow-nightly.service", "srv-7")[0]!
        .split("=");
      env[k!] = v.join("=");
    }
    env.SMTP_PASS = PASS;
    const [cmd, ...argv] = _execWords(exec.slice("ExecStart=".length), "aetherflow-nightly.service", "srv-7");
    const ran = await new Deno.Command(cmd!, {
      args: argv,
      env,
      clearEnv: true,
      cwd: "/",
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const stderr = new TextDecoder().decode(ran.stderr);
    assert.equal(ran.code, 0, stderr);
    const [mail] = await sink.waitForMessages(1);
    assert.equal((await mail!.parsed()).subject, "[aetherflow] aetherflow-nightly.service failed on srv-7");
    assert.ok(!stderr.includes(PASS));

    // Exclusive with --notify-command; --notify-to is required; the resource must be a mail resource.
    const both = await runCli([
      ...args,
      "--notify-mail",
      notify,
      "--notify-to",
      "o@x.test",
      "--notify-command",
      "true",
    ], {
      cwd: dir.path,
    });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--notify-mail and --notify-command: choose one/);
    const noTo = await runCli([...args, "--notify-mail", notify], { cwd: dir.path });
    assert.equal(noTo.code, 2);
    assert.match(noTo.stderr, /--notify-mail needs --notify-to/);
    const wrong = await runCli([
      ...args,
      "--notify-mail",
      notify,
      "--notify-to",
      "o@x.test",
      "--notify-resource",
      "db",
    ], {
      cwd: dir.path,
    });
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /No resource 'db'/);
  },
});
