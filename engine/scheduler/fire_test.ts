import assert from "node:assert/strict";
import { parseCron } from "./cron.ts";
import { decideGuard, EXIT_NOT_RUN, type GuardEffects, manualRunId, runFireGuard, runNow } from "./fire.ts";

function _fx(now: string, options: { locked?: boolean; rc?: number } = {}) {
  const ran: (readonly string[])[] = [];
  const messages: string[] = [];
  let released = 0;
  const fx: GuardEffects = {
    now: () => Date.parse(now),
    tryLock: () => Promise.resolve(options.locked ? null : { release: () => void released++ }),
    run: (argv) => {
      ran.push(argv);
      return Promise.resolve(options.rc ?? 0);
    },
    message: (level, text) => messages.push(`${level} ${text}`),
  };
  return { fx, ran, messages, released: () => released };
}

const OPTS = {
  itemId: "nightly",
  spec: parseCron("30 2 * * *"),
  tz: "Europe/Berlin",
  graceS: 300,
  command: ["/opt/aetherflow", "run", "--flow-yaml", "/srv/f.yaml"],
};

Deno.test("runFireGuard() runs the current slot with its run id and passes the exit code through", async () => {
  const h = _fx("2026-03-02T01:30:01Z", { rc: 1 });
  assert.equal(await runFireGuard(OPTS, h.fx), 1);
  assert.deepEqual(h.ran, [[
    "/opt/aetherflow",
    "run",
    "--flow-yaml",
    "/srv/f.yaml",
    "--run-id",
    "nightly-20260302T0130Z",
  ]]);
  assert.equal(h.released(), 1);
  assert.ok(h.messages.includes("ERROR Run nightly-20260302T0130Z of item nightly finished rc=1"));
});

Deno.test("runFireGuard() skips a late start (Persistent=true after downtime) with exit 0", async () => {
  const h = _fx("2026-03-02T09:00:00Z");
  assert.equal(await runFireGuard(OPTS, h.fx), 0);
  assert.deepEqual(h.ran, []);
  assert.ok(h.messages[0]?.startsWith("WARNING Run time of item nightly was missed by 27000"));
});

Deno.test("runFireGuard() skips when the item's lock is held (overlap) with exit 0", async () => {
  const h = _fx("2026-03-02T01:30:01Z", { locked: true });
  assert.equal(await runFireGuard(OPTS, h.fx), 0);
  assert.deepEqual(h.ran, []);
  assert.deepEqual(h.messages, [
    "WARNING Execution of item nightly skipped: maximum number of running instances reached (1)",
  ]);
});

Deno.test("decideGuard() takes the slot at or before now, DST gap included", () => {
  const d = decideGuard({ ...OPTS, now: Date.parse("2025-03-30T01:00:02Z") });
  assert.deepEqual(d, {
    kind: "fire",
    slot: Date.parse("2025-03-30T01:00:00Z"),
    runId: "nightly-20250330T0100Z",
  });
});

Deno.test("runFireGuard() started by hand outside the grace: nothing runs, ERROR with the way out, exit 75", async () => {
  const h = _fx("2026-03-02T09:00:00Z");
  assert.equal(await runFireGuard({ ...OPTS, trigger: "manual" }, h.fx), EXIT_NOT_RUN);
  assert.equal(EXIT_NOT_RUN, 75);
  assert.deepEqual(h.ran, []);
  assert.equal(
    h.messages[0],
    "ERROR Manual start of item nightly ran nothing: its latest scheduled time 2026-03-02T01:30:00.000Z is " +
      "27000s ago, outside its grace of 300s. To run it now: systemctl start aetherflow-nightly-now.service " +
      "(or aetherflow schedule fire --now nightly -- run …)",
  );
  // Within the grace a manual start runs the slot, as the timer would (same run id: it resumes).
  const inGrace = _fx("2026-03-02T01:31:00Z");
  assert.equal(await runFireGuard({ ...OPTS, trigger: "manual" }, inGrace.fx), 0);
  assert.equal(inGrace.ran[0]?.at(-1), "nightly-20260302T0130Z");
  const busy = _fx("2026-03-02T01:31:00Z", { locked: true });
  assert.equal(await runFireGuard({ ...OPTS, trigger: "manual" }, busy.fx), EXIT_NOT_RUN);
});

Deno.test("runNow() runs with a manual run id that never equals a slot's, refused while the item runs", async () => {
  const h = _fx("2026-03-02T09:00:07Z", { rc: 0 });
  assert.equal(await runNow({ itemId: "nightly", command: OPTS.command }, h.fx), 0);
  assert.equal(h.ran[0]?.at(-1), "nightly-manual-20260302T090007Z");
  assert.equal(manualRunId("x", Date.parse("2026-12-31T23:59:59.900Z")), "x-manual-20261231T235959Z");
  const busy = _fx("2026-03-02T09:00:07Z", { locked: true });
  assert.equal(await runNow({ itemId: "nightly", command: OPTS.command }, busy.fx), EXIT_NOT_RUN);
  assert.deepEqual(busy.ran, []);
});
