// The infra-free demos of examples/ (examples/README.md) end to end: `deno task demo` (scripts/demo.ts) runs
// singleflow (fails, then resumes with the same run id), multiflows-local/uc1 and uc2; every expected output is
// checked at file, zip-member, workbook-cell and state-row level. Plus the singleflow gating variant.
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { copyDir, ROOT, runCli, SERVER_DIR_SKIP_REASON, serverDir, tempDir } from "./_helpers.ts";

const SUFFIX = "t1";

function rows(state: string, sql: string, ...params: string[]): Record<string, unknown>[] {
  const db = new DatabaseSync(state, { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

function statuses(state: string, runId: string): { jobs: string[]; steps: string[] } {
  return {
    jobs: rows(state, "SELECT job_id, status FROM job_runs WHERE run_id = ? ORDER BY job_id", runId)
      .map((r) => `${r.job_id}=${r.status}`),
    steps: rows(state, "SELECT job_id, step_id, status FROM step_runs WHERE run_id = ?", runId)
      .map((r) => `${r.job_id}/${r.step_id}=${r.status}`).sort(),
  };
}

async function zipEntries(path: string): Promise<{ name: string; method: number; text: string }[]> {
  const zip = await import("@zip.js/zip.js");
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(await Deno.readFile(path)));
  try {
    const out = [];
    for (const e of await reader.getEntries()) {
      if (e.directory) continue;
      const text = await e.getData!(new zip.TextWriter());
      out.push({ name: e.filename, method: e.compressionMethod as number, text });
    }
    return out;
  } finally {
    await reader.close();
  }
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) out.push(`${rel}/`, ...await listTree(join(dir, e.name), `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("deno task demo: singleflow fails then resumes, local uc1 and uc2 produce the documented outputs", async (t) => {
  await using dir = await tempDir("af-demos-");
  const root = dir.path;
  const demo = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(ROOT, "scripts/demo.ts"), "--dir", root, "--suffix", SUFFIX],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await demo.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stdout + stderr);
  const log = (runId: string) => Deno.readTextFile(join(root, "logs", `${runId}.log`));

  await t.step("the summary: status table, outputs, resume commands", () => {
    assert.match(
      stdout,
      /singleflow \(1st run: fails\)\s+1\s+gate SUCCESS \(1\), extract_only FAILED \(0\) as intended/,
    );
    assert.match(stdout, /singleflow \(resumed\)\s+0\s+gate SUCCESS \(1\), extract_only SUCCESS \(1\)/);
    assert.match(stdout, /multiflows-local\/uc1\s+0\s+demo_pipeline SUCCESS \(8\)/);
    assert.match(stdout, /multiflows-local\/uc2\s+0\s+build_report SUCCESS \(6\)/);
    assert.match(stdout, /SUCCESS demo_pipeline\/unzip\s+unzip \d+ ms/);
    assert.ok(!stdout.includes("missing:"), stdout);
    assert.ok(stdout.includes(`--run-id single-${SUFFIX}`) && stdout.includes(`state show uc1-${SUFFIX}`));
  });

  await t.step("singleflow: TSV, empty gate job dirs, state rows, resume log", async () => {
    const id = `single-${SUFFIX}`;
    const jobDir = (job: string) => join(root, "demo_work/demo_flow", job, id);
    assert.equal(await Deno.readTextFile(join(jobDir("extract_only"), "artifacts/data.tsv")), "COL\n1\n");
    assert.deepEqual(await listTree(jobDir("gate")), ["artifacts/", "manifests/", "scratch/"]);
    const state = join(root, "demo_state/demo_flow.sqlite");
    assert.deepEqual(statuses(state, id), {
      jobs: ["extract_only=SUCCESS", "gate=SUCCESS"],
      steps: ["extract_only/extract=SUCCESS", "gate/check=SUCCESS"],
    });
    const [extract] = rows(
      state,
      "SELECT output_json FROM step_runs WHERE run_id = ? AND step_id = 'extract'",
      id,
    );
    const out = JSON.parse(String(extract!.output_json));
    assert.deepEqual([out.output, out.format, out.rows], [
      join(jobDir("extract_only"), "artifacts/data.tsv"),
      "tsv",
      1,
    ]);
    const text = await log(id);
    // One log for both runs: the first validates, fails on the missing folder; the second resumes.
    assert.ok(
      text.includes(
        'Validated bundle/flow yaml {"ok":true,"errors":[],"warnings":[],"flow_yaml":"examples/singleflow/flows/demo_flow.yaml"}',
      ),
      text,
    );
    assert.match(text, /Job failed: Resource db \(db:sqlalchemy\): cannot open .*\/db\/demo\.sqlite/);
    assert.ok(text.includes("Step skip (resume) step_id=check prev=SUCCESS"));
    assert.ok(text.includes('status_counts={"SUCCESS":2}'));
  });

  await t.step("local uc1: inbox, artifacts, payload zip, outbox copy, 8 steps, token masked", async () => {
    const id = `uc1-${SUFFIX}`;
    const art = join(root, "work/usecase1_demo_local/demo_pipeline", id, "artifacts");
    assert.deepEqual(await zipEntries(join(root, "demo_inbox/inbox/sample.zip")), [
      { name: "sample.csv", method: 8, text: "col1,col2\n1,hello\n2,world\n" },
    ]);
    assert.deepEqual(await listTree(art), [
      "inbox/",
      "inbox/sample.zip",
      "out/",
      `out/payload_${id}.zip`,
      "transformed/",
      "transformed/sample.csv",
      "unzipped/",
      "unzipped/sample.csv",
    ]);
    assert.equal(await Deno.readTextFile(join(art, "unzipped/sample.csv")), "col1,col2\n1,hello\n2,world\n");
    assert.equal(
      await Deno.readTextFile(join(art, "transformed/sample.csv")),
      "COL1,COL2\n1,hello\n2,world\n",
    );
    assert.deepEqual(await zipEntries(join(art, `out/payload_${id}.zip`)), [
      { name: "transformed/sample.csv", method: 8, text: "COL1,COL2\n1,hello\n2,world\n" },
    ]);
    assert.deepEqual(
      await Deno.readFile(join(root, "demo_outbox/outbox", `payload_${id}.zip`)),
      await Deno.readFile(join(art, `out/payload_${id}.zip`)),
    );
    const state = join(root, "state/usecase1_demo_local.sqlite");
    assert.deepEqual(statuses(state, id), {
      jobs: ["demo_pipeline=SUCCESS"],
      steps: [
        "prepare_demo_inbox",
        "list_remote",
        "download",
        "unzip",
        "transform",
        "zip",
        "smb_upload",
        "email",
      ].map((s) => `demo_pipeline/${s}=SUCCESS`).sort(),
    });
    const text = await log(id);
    assert.ok(!text.includes("demo-token-not-a-secret"), "the token never reaches the log");
    assert.match(text, /decode requested but no secrets provider is configured/);
    // The bundle: the whole uc1 folder synced (strict fingerprint) into the work root.
    const versions = join(root, "work/bundles/uc1/versions");
    const [version] = [...Deno.readDirSync(versions)].map((e) => e.name);
    assert.deepEqual(
      (await listTree(join(versions, version!))).filter((f) => !f.endsWith("/")),
      [
        "README.md",
        "flows/demo_local.yaml",
        "manifest_local.yaml",
        "plugins/demo_local_connectors.wasm",
        "plugins/demo_local_steps.wasm",
        "profiles.yaml",
      ],
    );
  });

  await t.step("local uc2: CSVs, report cells, outbox copy, validate outputs, 6 steps", async () => {
    const id = `uc2-${SUFFIX}`;
    const art = join(root, "work/usecase2_demo_local/build_report", id, "artifacts");
    const qip = await Deno.readTextFile(join(art, "data/qip.csv"));
    assert.equal(qip.split("\r\n")[0], "ID,Name,Value,Timestamp");
    assert.equal(qip.split("\r\n")[2], "2,item2,3,2024-01-02 08:30:00");
    assert.ok(qip.endsWith("10,item10,15,2024-01-10 08:30:00\r\n"));
    const qc = await Deno.readTextFile(join(art, "data/qc.csv"));
    assert.equal(qc.split("\r\n")[3], "B003,visual,FAIL,insp3,2024-02-03");
    const report = join(art, `out/report_${id}.xlsx`);
    assert.deepEqual(
      await Deno.readFile(join(root, "demo_outbox/outbox", `report_${id}.xlsx`)),
      await Deno.readFile(report),
    );
    const { default: ExcelJS } = await import("exceljs");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(report);
    const ws = wb.getWorksheet("Report")!;
    const row = (r: number, n: number) =>
      Array.from({ length: n }, (_, i) => ws.getRow(r).getCell(i + 1).value);
    assert.equal(ws.getCell("A1").value, "AUTO DATA INSERT TEMPLATE");
    assert.equal(ws.getCell("A3").value, "QIP SECTION");
    assert.equal(ws.getCell("A4").value, "QIP_ANCHOR");
    assert.deepEqual(row(5, 4), ["ID", "Name", "Value", "Timestamp"]);
    assert.deepEqual(row(6, 4), ["1", "item1", "1.5", "2024-01-01 08:30:00"]);
    assert.deepEqual(row(15, 4), ["10", "item10", "15", "2024-01-10 08:30:00"]);
    assert.equal(ws.getCell("A20").value, "QC SECTION");
    assert.equal(ws.getCell("A21").value, "QC_ANCHOR");
    assert.deepEqual(row(22, 5), ["Batch", "Check_Type", "Result", "Inspector", "Date"]);
    assert.deepEqual(row(23, 5), ["B001", "visual", "PASS", "insp1", "2024-02-01"]);
    assert.deepEqual(row(32, 5), ["B010", "visual", "PASS", "insp2", "2024-02-10"]);
    assert.equal(ws.getRow(33).getCell(1).value, null);
    const state = join(root, "state/usecase2_demo_local.sqlite");
    assert.deepEqual(
      statuses(state, id).steps,
      [
        "q_ip",
        "q_c",
        "validate_template",
        "render_excel",
        "smb_upload",
        "email",
      ].map((s) => `build_report/${s}=SUCCESS`).sort(),
    );
    const [validated] = rows(
      state,
      "SELECT output_json FROM step_runs WHERE run_id = ? AND step_id = 'validate_template'",
      id,
    );
    const outputs = JSON.parse(String(validated!.output_json));
    assert.deepEqual([outputs.found_anchor_cells, outputs.found_named_ranges], [
      ["QC_ANCHOR", "QIP_ANCHOR"],
      [],
    ]);
  });
});

Deno.test("singleflow gating variant: no items -> check SKIPPED, extract_only skipped by when, exit 0", async () => {
  await using dir = await tempDir("af-demo-gate-");
  const flow = (await Deno.readTextFile(join(ROOT, "examples/singleflow/flows/demo_flow.yaml")))
    .replace("items: [demo]", "items: []");
  await Deno.writeTextFile(join(dir.path, "gate.yaml"), flow);
  const r = await runCli(["run", join(dir.path, "gate.yaml"), "--run-id", "G"], {
    env: {
      TMPDIR: dir.path,
      DB_URL: `sqlite:///${dir.path}/demo.sqlite`,
      AETHERFLOW_PROFILES_FILE: join(ROOT, "examples/singleflow/profiles.yaml"),
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stderr.includes("Job skipped job_id=extract_only when=(jobs.gate.outputs.has_data == true)"));
  assert.ok(r.stderr.includes('status_counts={"SUCCESS":1,"SKIPPED":1}'));
  const state = join(dir.path, "demo_state/demo_flow.sqlite");
  assert.deepEqual(statuses(state, "G"), {
    jobs: ["extract_only=SKIPPED", "gate=SUCCESS"],
    steps: ["gate/check=SKIPPED"],
  });
  const [check] = rows(state, "SELECT output_json FROM step_runs WHERE run_id = 'G' AND step_id = 'check'");
  assert.deepEqual(JSON.parse(String(check!.output_json)), {
    has_data: false,
    count: 0,
    reason: "count(0) < min_count(1)",
  });
  await assert.rejects(Deno.stat(join(dir.path, "demo_work/demo_flow/extract_only")), Deno.errors.NotFound);
});

Deno.test("the demos' scheduler files validate; uc2_weekly fires on Mondays only (Europe/Berlin)", async () => {
  for (
    const file of [
      "singleflow/scheduler/scheduler.yaml",
      "multiflows-local/scheduler.yaml",
      "multiflows-remote/scheduler.yaml",
    ]
  ) {
    const r = await runCli(["schedule", "validate", `examples/${file}`], {
      env: {
        DB_URL: "sqlite:///tmp/x.sqlite",
        AETHERFLOW_PROFILES_FILE: "examples/singleflow/profiles.yaml",
      },
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!`${r.stdout}${r.stderr}`.includes("! "), `no warnings for ${file}: ${r.stdout}${r.stderr}`);
  }
  const next = await runCli([
    "schedule",
    "next",
    "examples/multiflows-local/scheduler.yaml",
    "--count",
    "500",
    "--json",
  ]);
  assert.equal(next.code, 0, next.stderr);
  const items = JSON.parse(next.stdout).items as {
    id: string;
    timezone: string;
    next: { local: string }[];
  }[];
  const weekly = items.find((i) => i.id === "uc2_weekly")!;
  assert.equal(weekly.timezone, "Europe/Berlin");
  const days = new Set(weekly.next.map((n) => n.local.slice(0, 10)));
  assert.ok(days.size >= 2, "500 fires of */3 span more than one Monday");
  for (const d of days) assert.equal(new Date(`${d}T12:00:00Z`).getUTCDay(), 1, `${d} is a Monday`);
  const minutes = weekly.next.slice(0, 5).map((n) => Number(n.local.slice(14, 16)) % 3);
  assert.deepEqual(minutes, [0, 0, 0, 0, 0]);
});

Deno.test("local uc1 bundle: the first strict sync reads every file, the next one reads nothing new", async () => {
  await using dir = await tempDir("af-demo-sync-");
  const sync = () =>
    runCli(["bundle", "sync", "--bundle-manifest", "manifest_local.yaml", "--json"], {
      cwd: join(ROOT, "examples/multiflows-local/uc1"),
      env: { AETHERFLOW_WORK_ROOT: dir.path },
    });
  const first = await sync();
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(JSON.parse(first.stdout).fetched_files, [
    "README.md",
    "flows/demo_local.yaml",
    "manifest_local.yaml",
    "plugins/demo_local_connectors.wasm",
    "plugins/demo_local_steps.wasm",
    "profiles.yaml",
  ]);
  const second = JSON.parse((await sync()).stdout);
  assert.deepEqual([second.changed, second.fetched_files], [false, []]);
});

Deno.test({
  name: "the demos' scheduler files become systemd units that systemd-analyze verifies (uc2 on Mondays)",
  ignore: SERVER_DIR_SKIP_REASON !== null,
}, async () => {
  // Units keep state outside /tmp (PrivateTmp): the demos and their environment go under /var/lib.
  await using dir = (await serverDir("af-demo-units-"))!;
  await copyDir(join(ROOT, "examples"), join(dir.path, "examples"));
  const envFile = join(dir.path, "demo.env");
  await Deno.writeTextFile(
    envFile,
    Object.entries({
      TMPDIR: join(dir.path, "tmp"),
      AETHERFLOW_WORK_ROOT: join(dir.path, "work"),
      DB_URL: `sqlite:///${dir.path}/demo.sqlite`,
      AETHERFLOW_PROFILES_FILE: join(dir.path, "examples/singleflow/profiles.yaml"),
      DEMO_TOKEN: "x",
      SFTP_HOST: "sftp.example.test",
      SFTP_USER: "u",
      SFTP_PASS: "p",
      SMB_HOST: "smb.example.test",
      SMB_USER: "u",
      SMB_PASS: "p",
      SMTP_HOST: "mail.example.test",
      MAIL_TO: "ops@example.test",
      EXA_DSN: "exa.example.test:8563",
      EXA_USER: "u",
      EXA_PASS: "p",
    }).map(([k, v]) => `${k}=${v}\n`).join(""),
  );
  const calendars: string[] = [];
  for (
    const file of [
      "singleflow/scheduler/scheduler.yaml",
      "multiflows-local/scheduler.yaml",
      "multiflows-remote/scheduler.yaml",
    ]
  ) {
    const out = join(dir.path, "units", file.split("/")[0]!);
    const r = await runCli(
      [
        "schedule",
        "systemd",
        `examples/${file}`,
        "--out",
        out,
        "--binary",
        Deno.execPath(),
        "--environment-file",
        envFile,
      ],
      { cwd: dir.path },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const units = [...Deno.readDirSync(out)].map((e) => e.name).sort();
    const verify = new Deno.Command("systemd-analyze", { args: ["verify", ...units], cwd: out }).outputSync();
    assert.equal(verify.code, 0, new TextDecoder().decode(verify.stderr));
    for (const u of units.filter((n) => n.endsWith(".timer"))) {
      const line = (await Deno.readTextFile(join(out, u))).split("\n").find((l) =>
        l.startsWith("OnCalendar=")
      )!;
      calendars.push(`${u} ${line}`);
    }
  }
  assert.deepEqual(calendars.sort(), [
    "aetherflow-demo_every_5m.timer OnCalendar=*-*-* *:00/5:00 Europe/Berlin",
    "aetherflow-uc1_daily.timer OnCalendar=*-*-* *:00/2:00 Europe/Berlin",
    "aetherflow-uc1_daily.timer OnCalendar=*-*-* *:00/2:00 Europe/Berlin",
    "aetherflow-uc2_weekly.timer OnCalendar=Mon *-*-* *:00/3:00 Europe/Berlin",
    "aetherflow-uc2_weekly.timer OnCalendar=Mon *-*-* *:00/3:00 Europe/Berlin",
  ]);
  const cal = new Deno.Command("systemd-analyze", {
    args: ["calendar", "--iterations=3", "Mon *-*-* *:00/3:00 Europe/Berlin"],
    env: { TZ: "Europe/Berlin", LC_ALL: "C" },
  }).outputSync();
  const text = new TextDecoder().decode(cal.stdout);
  assert.equal(cal.code, 0, new TextDecoder().decode(cal.stderr));
  assert.match(text, /Next elapse: Mon /);
});
