import assert from "node:assert/strict";
import { attachMetricsSinks } from "./sinks.ts";
import { assertExposition, captureLogger, emitRun, sampleValue } from "./_test_kit.ts";

async function _tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "af-metrics-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

/** A loopback OTLP receiver answering `status`; keeps every request body. */
function _receiver(status = 200) {
  const bodies: { path: string; type: string | null; body: unknown }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    bodies.push({
      path: new URL(req.url).pathname,
      type: req.headers.get("content-type"),
      body: await req.json(),
    });
    return new Response("{}", { status, headers: { "content-type": "application/json" } });
  });
  return {
    bodies,
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("attachMetricsSinks() writes the textfile at flush, replacing the old file by rename", async () => {
  await using dir = await _tempDir();
  const file = `${dir.path}/aetherflow.prom`;
  await Deno.writeTextFile(file, "");
  // A second link to the old file: an in-place rewrite would change what it shows, a rename does not.
  await Deno.link(file, `${dir.path}/old-link`);
  const { logger, lines } = captureLogger();
  const sinks = attachMetricsSinks(logger, { textfile: file, now: () => 1_000_000 });
  emitRun(logger);
  assert.equal(await Deno.readTextFile(file), "", "nothing is written before flush");
  await sinks.flush({ exitCode: 0 });
  const text = await Deno.readTextFile(file);
  assertExposition(text);
  assert.equal(sampleValue(text, 'aetherflow_runs_total{flow_id="demo",status="SUCCESS"}'), 1);
  assert.equal(await Deno.readTextFile(`${dir.path}/old-link`), "");
  const names = [...Deno.readDirSync(dir.path)].map((e) => e.name).sort();
  assert.deepEqual(names, ["aetherflow.prom", "aetherflow.prom.lock", "old-link"], "no temp file left");
  assert.deepEqual(lines.filter((l) => l.includes("WARNING")), []);
  // A second flush of the same run does not count it twice.
  await sinks.flush({ exitCode: 0 });
  assert.equal(await Deno.readTextFile(file), text);
});

Deno.test("attachMetricsSinks() lets the exit code decide the run status", async () => {
  await using dir = await _tempDir();
  const file = `${dir.path}/m.prom`;
  const { logger } = captureLogger();
  const sinks = attachMetricsSinks(logger, { textfile: file });
  emitRun(logger);
  await sinks.flush({ exitCode: 1 });
  const text = await Deno.readTextFile(file);
  assert.equal(sampleValue(text, 'aetherflow_runs_total{flow_id="demo",status="FAILED"}'), 1);
  assert.equal(sampleValue(text, 'aetherflow_last_success_timestamp_seconds{flow_id="demo"}'), undefined);
});

Deno.test("attachMetricsSinks() POSTs one OTLP/JSON request to <endpoint>/v1/metrics", async () => {
  await using rx = _receiver();
  const { logger, lines } = captureLogger();
  const sinks = attachMetricsSinks(logger, { otlpEndpoint: rx.url + "/", serviceVersion: "1.2.3" });
  emitRun(logger, { fail: true });
  await sinks.flush();
  assert.equal(rx.bodies.length, 1);
  assert.equal(rx.bodies[0]!.path, "/v1/metrics");
  assert.equal(rx.bodies[0]!.type, "application/json");
  // deno-lint-ignore no-explicit-any
  const body = rx.bodies[0]!.body as any;
  const names = body.resourceMetrics[0].scopeMetrics[0].metrics.map((m: { name: string }) => m.name);
  assert.ok(names.includes("aetherflow_runs") && names.includes("aetherflow_step_duration"), names);
  assert.deepEqual(lines.filter((l) => l.includes("WARNING")), []);
});

Deno.test("attachMetricsSinks() turns sink failures into WARNING lines and never throws", async (t) => {
  await t.step("OTLP answers 500", async () => {
    await using rx = _receiver(500);
    const { logger, lines } = captureLogger();
    const sinks = attachMetricsSinks(logger, { otlpEndpoint: rx.url });
    emitRun(logger);
    await sinks.flush();
    assert.equal(rx.bodies.length, 1);
    assert.match(lines.join("\n"), /WARNING aetherflow\.metrics - Metrics sink failed \(OTLP .*\): HTTP 500/);
  });
  await t.step("OTLP endpoint refuses connections", async () => {
    const closed = _receiver();
    const url = closed.url;
    await closed[Symbol.asyncDispose]();
    const { logger, lines } = captureLogger();
    const sinks = attachMetricsSinks(logger, { otlpEndpoint: url });
    emitRun(logger);
    await sinks.flush();
    assert.match(lines.join("\n"), /WARNING aetherflow\.metrics - Metrics sink failed \(OTLP /);
  });
  await t.step("credentials in the endpoint URL never reach the warning [D18]", async () => {
    const closed = _receiver();
    const url = closed.url.replace("http://", "http://otlp-user:s3cr3t-t0ken@");
    await closed[Symbol.asyncDispose]();
    const { logger, lines } = captureLogger();
    const sinks = attachMetricsSinks(logger, { otlpEndpoint: url });
    emitRun(logger);
    await sinks.flush();
    const text = lines.join("\n");
    assert.match(text, /Metrics sink failed \(OTLP http:\/\/\*\*\*@127\.0\.0\.1:\d+\/?\)/);
    assert.ok(!text.includes("s3cr3t-t0ken") && !text.includes("otlp-user"), text);
  });
  await t.step("textfile directory missing", async () => {
    await using dir = await _tempDir();
    const { logger, lines } = captureLogger();
    const sinks = attachMetricsSinks(logger, { textfile: `${dir.path}/nope/m.prom` });
    emitRun(logger);
    await sinks.flush();
    assert.match(
      lines.join("\n"),
      /WARNING aetherflow\.metrics - Metrics sink failed \(textfile .*nope\/m\.prom\)/,
    );
  });
});

Deno.test("attachMetricsSinks() does nothing without a finished run or without sinks", async () => {
  await using dir = await _tempDir();
  const file = `${dir.path}/m.prom`;
  const { logger } = captureLogger();
  await attachMetricsSinks(logger, { textfile: file }).flush();
  await attachMetricsSinks(logger, {}).flush();
  emitRun(logger);
  assert.equal(await Deno.stat(file).then(() => true, () => false), false);
});
