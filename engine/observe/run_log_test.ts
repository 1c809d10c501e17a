import assert from "node:assert/strict";
import { join } from "node:path";
import { Logger } from "./logger.ts";
import { runLogPath, RunLogReader, RunLogWriter } from "./run_log.ts";

async function _tmp(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "af-runlog-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

Deno.test("runLogPath() sits beside the state database, one file per run id; none for :memory:", () => {
  assert.equal(runLogPath("/s/state.db", "r1"), "/s/state.db.logs/r1.jsonl");
  assert.equal(runLogPath("/s/state.db", "a/b"), "/s/state.db.logs/a%2Fb.jsonl");
  assert.equal(runLogPath(":memory:", "r1"), null);
});

Deno.test("RunLogWriter appends masked records as JSON lines; RunLogReader reads complete lines incrementally", async () => {
  await using dir = await _tmp();
  const path = join(dir.path, "s.db.logs", "r.jsonl");
  const logger = new Logger({ write: () => {}, mask: (s) => s.replaceAll("hunter2", "***"), now: () => 5 });
  const reader = new RunLogReader(path);
  assert.equal(await reader.next(), null, "no file yet");
  {
    using writer = new RunLogWriter(path);
    logger.addRecordSink(writer.sink, "INFO");
    logger.child("a", { run_id: "r" }).info("pw hunter2");
    assert.deepEqual((await reader.next())!.map((r) => r.message), ["pw ***"]);
    logger.event("a", "run_summary", { run_id: "r" });
    logger.removeRecordSink(writer.sink);
  }
  const rest = (await reader.next())!;
  assert.deepEqual(rest.map((r) => r.event), ["run_summary"]);
  assert.deepEqual(await reader.next(), []);
  // A second invocation appends to the same file.
  using again = new RunLogWriter(path);
  again.sink({ ts_ms: 6, ts: new Date(6).toISOString(), level: "INFO", logger: "a", message: "resumed" });
  assert.deepEqual((await new RunLogReader(path).next())!.map((r) => r.message), [
    "pw ***",
    undefined,
    "resumed",
  ]);
});

Deno.test("RunLogWriter stops at its bound with one truncation line, keeping run_summary", async () => {
  await using dir = await _tmp();
  const path = join(dir.path, "r.jsonl");
  using writer = new RunLogWriter(path, { maxBytes: 400 });
  const rec = (i: number, extra: Record<string, string> = {}) => ({
    ts_ms: i,
    ts: new Date(i).toISOString(),
    level: "INFO" as const,
    logger: "a",
    message: `line ${i} ${"x".repeat(60)}`,
    ...extra,
  });
  for (let i = 0; i < 20; i++) writer.sink(rec(i));
  writer.sink({ ...rec(99), event: "run_summary" });
  const lines = (await new RunLogReader(path).next())!;
  assert.ok(lines.length < 10, `bounded: ${lines.length} lines`);
  assert.equal(lines.filter((l) => String(l.message).startsWith("Run log truncated")).length, 1);
  assert.equal(lines.at(-1)!.event, "run_summary");
});
