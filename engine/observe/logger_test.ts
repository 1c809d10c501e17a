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

Deno.test("Logger JSON mode makes every line one JSON object with ts_ms first", () => {
  const { lines, logger } = _capture({ format: "json" });
  logger.event("aetherflow.flow.demo", "job_start", { flow_id: "demo", run_id: "R", job_id: "a" });
  logger.log("WARNING", "aetherflow.flow.demo", 'Job blocked job_id=b depends_on=["a"]');
  assert.equal(lines[0], `{"ts_ms":${TS},"event":"job_start","flow_id":"demo","run_id":"R","job_id":"a"}`);
  assert.deepEqual(JSON.parse(lines[1]!), {
    ts_ms: TS,
    level: "WARNING",
    logger: "aetherflow.flow.demo",
    message: 'Job blocked job_id=b depends_on=["a"]',
  });
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
