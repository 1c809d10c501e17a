// `doctor --connect` probes through the CLI (docs/architecture.md "Connection probes", docs/cli.md): the REST
// probe (HEAD, then GET when HEAD is refused) against an in-process HTTP server, the DB `SELECT 1` probe against
// the harness's PostgreSQL, and an endpoint that accepts connections but never answers, reported within the
// probe timeout.
import assert from "node:assert/strict";
import { postgresDatabase, postgresService } from "./_services.ts";
import { startHttpServer } from "./_http_server.ts";
import { MAIN, runCli, tempDir, writeDemoFlow } from "./_helpers.ts";

const JOBS = "  - id: a\n    steps:\n      - {id: s, type: check_items, inputs: {items: [1]}}\n";

interface Probe {
  resource: string;
  kind: string;
  driver: string;
  status: string;
  detail: string;
  duration_ms: number;
}

Deno.test("doctor --connect REST probe: HEAD answered, HEAD refused falls back to GET, a 5xx fails", async () => {
  await using dir = await tempDir();
  await using server = startHttpServer((req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/broken")) return new Response("down for maintenance", { status: 503 });
    if (path.startsWith("/nohead") && req.method === "HEAD") return new Response(null, { status: 405 });
    return new Response(req.method === "HEAD" ? null : "hello", { status: 200 });
  });
  const flow = await writeDemoFlow(dir.path, JOBS, {
    resources: [
      `  up: {kind: rest, driver: httpx, config: {base_url: "${server.origin}/up", bearer_token: "{{env.API_TOKEN}}"}}`,
      `  nohead: {kind: rest, driver: httpx, config: {base_url: "${server.origin}/nohead"}}`,
      `  broken: {kind: rest, driver: httpx, config: {base_url: "${server.origin}/broken"}}`,
    ].join("\n"),
  });
  const env = { API_TOKEN: "tok-7f3a9c-secret" };
  const text = await runCli(["doctor", flow, "--connect", "--timeout", "20"], { env });
  assert.equal(text.code, 1, text.stdout + text.stderr);
  assert.match(text.stdout, /^ {2}OK {3}up +\(rest\/httpx\) \d+ ms - HTTP 200$/m);
  assert.match(text.stdout, /^ {2}OK {3}nohead +\(rest\/httpx\) \d+ ms - HTTP 200$/m);
  assert.match(text.stdout, /^ {2}FAIL broken +\(rest\/httpx\) \d+ ms - probing: HTTP 503$/m);
  assert.ok(!(text.stdout + text.stderr).includes(env.API_TOKEN), "the token is never printed");
  const byPath = (prefix: string) =>
    server.requests.filter((r) => new URL(r.url).pathname.startsWith(prefix)).map((r) => r.method);
  assert.deepEqual(byPath("/up"), ["HEAD"], "a read-only HEAD, nothing else");
  assert.deepEqual(byPath("/nohead"), ["HEAD", "GET"]);
  assert.equal(
    server.requests.find((r) => r.url.includes("/up"))?.headers.get("authorization"),
    `Bearer ${env.API_TOKEN}`,
    "the probe uses the resource's credentials",
  );

  const json = await runCli(["doctor", flow, "--connect", "--timeout", "20", "--json"], { env });
  assert.equal(json.code, 1, json.stderr);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(doc.connect.map((c: Probe) => [c.resource, c.status, c.detail]), [
    ["up", "OK", "HTTP 200"],
    ["nohead", "OK", "HTTP 200"],
    ["broken", "FAIL", "probing: HTTP 503"],
  ]);
  assert.deepEqual(doc.errors.map((e: { code: string; loc: string }) => [e.code, e.loc]), [
    ["connect:failed", "resources.broken"],
  ]);
});

const pg = postgresService();

Deno.test({
  name: "doctor --connect DB probe: SELECT 1 on PostgreSQL; a wrong password fails and is never printed",
  ignore: pg.ignore,
}, async () => {
  await using dir = await tempDir();
  await using db = await postgresDatabase();
  const info = pg.get();
  const wrong = `wrong-${crypto.randomUUID().slice(0, 8)}`;
  const badUrl = `postgres://${info.user}:${wrong}@${info.host}:${info.port}/${db.name}`;
  const flow = await writeDemoFlow(dir.path, JOBS, {
    resources: [
      `  warehouse: {kind: db, driver: postgres, config: {url: "{{env.WAREHOUSE_URL}}"}}`,
      `  badpw: {kind: db, driver: postgres, config: {url: "{{env.BAD_URL}}"}}`,
    ].join("\n"),
  });
  const env = { WAREHOUSE_URL: db.url, BAD_URL: badUrl };
  for (const json of [false, true]) {
    const r = await runCli(["doctor", flow, "--connect", "--timeout", "30", ...(json ? ["--json"] : [])], {
      env,
    });
    const all = r.stdout + r.stderr;
    assert.equal(r.code, 1, all);
    assert.ok(!all.includes(info.password), "the real password is never printed");
    assert.ok(!all.includes(wrong), "the wrong password is never printed");
    if (!json) {
      // The postgres driver's own probe is its `SELECT 1` round trip (db_postgres.ts `probe`).
      assert.match(r.stdout, /^ {2}OK {3}warehouse +\(db\/postgres\) \d+ ms - probe answered$/m);
      assert.match(r.stdout, /^ {2}FAIL badpw +\(db\/postgres\) \d+ ms - .*password authentication failed/m);
    } else {
      const doc = JSON.parse(r.stdout);
      assert.deepEqual(doc.connect.map((c: Probe) => [c.resource, c.status]), [
        ["warehouse", "OK"],
        ["badpw", "FAIL"],
      ]);
      assert.deepEqual(doc.errors.map((e: { loc: string }) => e.loc), ["resources.badpw"]);
    }
  }
});

Deno.test("doctor --connect: an endpoint that accepts but never answers is reported within the timeout", async () => {
  await using dir = await tempDir();
  // Accepts every connection and never writes a byte (nor closes) — a hung server, not a closed port.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) held.push(conn);
    } catch { /* listener closed */ }
  })();
  try {
    const flow = await writeDemoFlow(dir.path, JOBS, {
      resources: [
        `  api: {kind: rest, driver: httpx, config: {base_url: "http://127.0.0.1:${port}/v1"}}`,
        `  warehouse: {kind: db, driver: postgres, config: {url: "postgres://u:{{env.PW}}@127.0.0.1:${port}/app"}}`,
      ].join("\n"),
    });
    const timeoutS = 2;
    // A deadline on the whole command: a probe that hangs must not hang doctor.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--quiet",
        MAIN,
        "doctor",
        flow,
        "--connect",
        "--timeout",
        `${timeoutS}`,
        "--json",
      ],
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        HOME: Deno.env.get("HOME") ?? "/tmp",
        PW: "pw-9d2e",
      },
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).spawn();
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.signal, null, `doctor did not finish within the deadline\n${stdout}${stderr}`);
    assert.equal(out.code, 1, stdout + stderr);
    assert.ok(held.length >= 2, `both probes reached the server (${held.length} connections)`);
    const doc = JSON.parse(stdout);
    for (const c of doc.connect as Probe[]) {
      assert.equal(c.status, "FAIL", JSON.stringify(c));
      assert.match(c.detail, new RegExp(`^timed out after ${timeoutS * 1000} ms \\(`), JSON.stringify(c));
      assert.ok(c.duration_ms >= timeoutS * 1000, `waited the timeout: ${JSON.stringify(c)}`);
      // Slack for a loaded 2-core CI machine; a probe that ignored its timeout would hang far longer (TCP keeps a
      // silent connection open indefinitely).
      assert.ok(
        c.duration_ms < timeoutS * 1000 + 15_000,
        `reported soon after the timeout: ${JSON.stringify(c)}`,
      );
    }
    assert.deepEqual(doc.connect.map((c: Probe) => c.resource), ["api", "warehouse"]);
    assert.ok(!(stdout + stderr).includes("pw-9d2e"));
  } finally {
    listener.close();
    await accepting;
    for (const c of held) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  }
});
