import assert from "node:assert/strict";
import { formatLocalTime, Logger, parseLogLevel } from "./logger.ts";

const TS = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();

function _capture(options: Partial<ConstructorParameters<typeof Logger>[0]> = {}) {
  const lines: string[] = [];
  const logger = new Logger({ write: (l) => lines.push(l), now: () => TS, ...options });
  return { lines, logger };
}

Deno.test("Logger text lines are `<local time> <LEVEL> <logger> - <message>`", () => {
  const { lines, logger } = _capture();
  logger.child("aetherflow.flow.demo.job.a").info("Job success");
  assert.deepEqual(lines, ["2026-01-02 03:04:05.067 INFO aetherflow.flow.demo.job.a - Job success"]);
});

Deno.test("Logger text events print key=value in the given order, non-strings as compact JSON", () => {
  const { lines, logger } = _capture();
  logger.event("aetherflow.flow.demo", "job_end", {
    flow_id: "demo",
    run_id: "R",
    job_id: "a",
    status: "SKIPPED",
    duration_ms: 3,
    skip_reason: null,
  });
  logger.event("aetherflow.flow.demo", "run_summary", { status_counts: { SUCCESS: 1 }, ok: true });
  assert.equal(
    lines[0],
    "2026-01-02 03:04:05.067 INFO aetherflow.flow.demo - job_end flow_id=demo run_id=R job_id=a status=SKIPPED " +
      "duration_ms=3 skip_reason=null",
  );
  assert.match(lines[1]!, / - run_summary status_counts=\{"SUCCESS":1\} ok=true$/);
});

Deno.test("Logger JSON mode makes every line one JSON object: ts_ms, ts, level, logger first", () => {
  const { lines, logger } = _capture({ format: "json" });
  const iso = new Date(TS).toISOString();
  logger.event("aetherflow.flow.demo", "job_start", { flow_id: "demo", run_id: "R", job_id: "a" });
  logger.log("WARNING", "aetherflow.flow.demo", 'Job blocked job_id=b depends_on=["a"]', {
    run_id: "R",
    job_id: "b",
  });
  assert.equal(
    lines[0],
    `{"ts_ms":${TS},"ts":"${iso}","level":"INFO","logger":"aetherflow.flow.demo","event":"job_start",` +
      `"flow_id":"demo","run_id":"R","job_id":"a"}`,
  );
  assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(JSON.parse(lines[1]!), {
    ts_ms: TS,
    ts: iso,
    level: "WARNING",
    logger: "aetherflow.flow.demo",
    message: 'Job blocked job_id=b depends_on=["a"]',
    run_id: "R",
    job_id: "b",
  });
});

Deno.test("Logger child context fields reach JSON lines; with() adds more", () => {
  const { lines, logger } = _capture({ format: "json" });
  const job = logger.child("aetherflow.flow.demo.job.a", { run_id: "R", job_id: "a" });
  job.with({ step_id: "s1" }).info("hello");
  job.info("Job success");
  assert.deepEqual(JSON.parse(lines[0]!).step_id, "s1");
  assert.equal(JSON.parse(lines[0]!).job_id, "a");
  assert.equal(JSON.parse(lines[1]!).step_id, undefined);
});

Deno.test("Logger record sinks get masked records at their own level, whatever the console level", () => {
  const records: Record<string, unknown>[] = [];
  const { lines, logger } = _capture({ level: "ERROR", mask: (t) => t.replaceAll("s3cr3t", "***") });
  logger.addRecordSink((r) => records.push(r), "INFO");
  logger.child("x").info("token s3cr3t");
  logger.child("x").debug("not kept");
  assert.equal(lines.length, 0);
  assert.equal(records.length, 1);
  assert.equal(records[0]!.message, "token ***");
});

Deno.test("Logger passes each line's level to the writer", () => {
  const seen: string[] = [];
  const logger = new Logger({ write: (_l, level) => seen.push(level), now: () => TS });
  logger.child("x").warn("w");
  logger.event("x", "run_start", {});
  assert.deepEqual(seen, ["WARNING", "INFO"]);
});

Deno.test("Logger masks every line, in text and in JSON (also secrets that JSON escapes)", () => {
  const secret = 'pa"ss\\word';
  const mask = (t: string) => t.split(secret).join("***");
  for (const format of ["text", "json"] as const) {
    const { lines, logger } = _capture({ format, mask });
    logger.log("ERROR", "x", `Job failed: bad ${secret}`);
    logger.event("x", "step_end", { v: `a${secret}b` });
    assert.ok(lines.every((l) => !l.includes("ss\\") && !l.includes("ss\\\\")), lines.join("\n"));
    assert.equal(lines.filter((l) => l.includes("***")).length, 2);
  }
});

Deno.test("Logger filters by level, but event listeners see every event", () => {
  const { lines, logger } = _capture({ level: "WARNING" });
  const seen: string[] = [];
  logger.onEvent((name) => seen.push(name));
  logger.child("x").info("hidden");
  logger.event("x", "run_start", {});
  logger.child("x").warn("shown");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /WARNING x - shown$/);
  assert.deepEqual(seen, ["run_start"]);
});

Deno.test("parseLogLevel() upper-cases and falls back to INFO", () => {
  assert.equal(parseLogLevel("debug"), "DEBUG");
  assert.equal(parseLogLevel(" warning "), "WARNING");
  assert.equal(parseLogLevel("loud"), "INFO");
  assert.equal(parseLogLevel(undefined), "INFO");
});

Deno.test("formatLocalTime() pads every field", () => {
  assert.equal(formatLocalTime(new Date(2026, 10, 9, 8, 7, 6, 5).getTime()), "2026-11-09 08:07:06.005");
});

Deno.test("Logger hold keeps lines, records and events (stamped when logged) until release; drop discards", () => {
  let now = TS;
  const { lines, logger } = _capture({ format: "json", now: () => now });
  const records: unknown[] = [];
  const events: string[] = [];
  logger.addRecordSink((r) => records.push(r.message ?? r.event));
  logger.onEvent((e) => events.push(e));
  logger.hold();
  assert.equal(logger.holding, true);
  logger.child("x").info("one");
  logger.event("x", "step_end", { step_id: "a" });
  now = TS + 5;
  assert.deepEqual([lines, records, events], [[], [], []]);
  logger.release();
  assert.equal(logger.holding, false);
  assert.deepEqual(lines.map((l) => JSON.parse(l).ts_ms), [TS, TS]);
  assert.deepEqual(records, ["one", "step_end"]);
  assert.deepEqual(events, ["step_end"]);
  logger.hold();
  logger.child("x").info("two");
  logger.event("x", "step_end", { step_id: "b" });
  logger.release({ drop: true });
  logger.child("x").info("three");
  assert.deepEqual(records, ["one", "step_end", "three"]);
  assert.deepEqual(events, ["step_end"]);
  assert.equal(lines.length, 3);
});
