import assert from "node:assert/strict";
import { isJournalStream, syslogPriority, withPriorityPrefix } from "./journald.ts";

Deno.test("syslogPriority() maps levels to sd-daemon priorities", () => {
  assert.deepEqual(["DEBUG", "INFO", "WARNING", "ERROR"].map((l) => syslogPriority(l as "INFO")), [
    7,
    6,
    4,
    3,
  ]);
});

Deno.test("withPriorityPrefix() prefixes every line of a message", () => {
  assert.equal(withPriorityPrefix("Job failed: x\n  at y", "ERROR"), "<3>Job failed: x\n<3>  at y");
});

Deno.test("isJournalStream() needs JOURNAL_STREAM to name stderr's device and inode", () => {
  assert.equal(isJournalStream(undefined, { dev: 1, ino: 2 }), false);
  assert.equal(isJournalStream("", null), false);
  assert.equal(isJournalStream("garbage", null), false);
  assert.equal(isJournalStream("1:2", { dev: 1, ino: 2 }), true);
  assert.equal(isJournalStream("1:2", { dev: 1, ino: 3 }), false, "inherited, but stderr was redirected");
  assert.equal(isJournalStream("1:2", null), true, "cannot stat stderr: trust the variable");
});
