import assert from "node:assert/strict";
import { parseCron } from "./cron.ts";
import { nextFire, nextFires, prevFire } from "./next_fire.ts";

const iso = (ts: readonly number[]) => ts.map((t) => new Date(t).toISOString().replace(".000Z", "Z"));
const at = (s: string) => Date.parse(s);

// B.3 / B.8: DST in Europe/Berlin (2025-03-30 spring forward 02:00 -> 03:00, 2025-10-26 fall back 03:00 -> 02:00).
const DST = [
  ["gap: 02:30 fires once at 03:00 CEST", "30 2 * * *", "Europe/Berlin", "2025-03-29T12:00:00Z", [
    "2025-03-30T01:00:00Z",
    "2025-03-31T00:30:00Z",
  ]],
  [
    "gap: every wall time in the gap collapses into one fire",
    "*/15 2 * * *",
    "Europe/Berlin",
    "2025-03-30T00:00:00Z",
    [
      "2025-03-30T01:00:00Z",
      "2025-03-31T00:00:00Z",
    ],
  ],
  [
    "repeat: 02:30 fires once, at the first (CEST) occurrence",
    "30 2 * * *",
    "Europe/Berlin",
    "2025-10-25T12:00:00Z",
    [
      "2025-10-26T00:30:00Z",
      "2025-10-27T01:30:00Z",
    ],
  ],
  ["repeat: */30 fires each wall time once", "*/30 2 * * *", "Europe/Berlin", "2025-10-25T23:59:00Z", [
    "2025-10-26T00:00:00Z",
    "2025-10-26T00:30:00Z",
    "2025-10-27T01:00:00Z",
  ]],
  ["New York gap: 02:30 -> 03:00 EDT (as croner)", "30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", [
    "2026-03-08T07:00:00Z",
    "2026-03-09T06:30:00Z",
  ]],
  [
    "hourly across the fall back skips the repeated hour",
    "0 * * * *",
    "Europe/Berlin",
    "2025-10-25T23:30:00Z",
    [
      "2025-10-26T00:00:00Z",
      "2025-10-26T02:00:00Z",
    ],
  ],
] as const;

Deno.test("nextFires() handles DST gaps and repeats (B.3)", async (t) => {
  for (const [name, expr, tz, from, want] of DST) {
    await t.step(
      name,
      () => assert.deepEqual(iso(nextFires(parseCron(expr), tz, at(from), want.length)), want),
    );
  }
});

Deno.test("nextFire() uses standard cron day semantics [D13]", async (t) => {
  await t.step("0 0 * * 1 fires on Mondays (upstream: Tuesdays)", () => {
    const t0 = nextFire(parseCron("0 0 * * 1"), "UTC", at("2025-01-01T00:00:00Z")) as number;
    assert.equal(new Date(t0).getUTCDay(), 1);
  });
  await t.step("both day fields restricted: either matches", () => {
    // 2025-01: the 1st..7th OR any Monday (6, 13, …).
    assert.deepEqual(iso(nextFires(parseCron("0 0 1-7 * 1"), "UTC", at("2025-01-05T12:00:00Z"), 4)), [
      "2025-01-06T00:00:00Z",
      "2025-01-07T00:00:00Z",
      "2025-01-13T00:00:00Z",
      "2025-01-20T00:00:00Z",
    ]);
  });
  await t.step("last day of month", () => {
    assert.deepEqual(iso(nextFires(parseCron("0 0 L * *"), "UTC", at("2024-01-31T12:00:00Z"), 2)), [
      "2024-02-29T00:00:00Z",
      "2024-03-31T00:00:00Z",
    ]);
  });
  await t.step("never fires -> null", () => {
    assert.equal(nextFire(parseCron("0 0 31 2 *"), "UTC", at("2025-01-01T00:00:00Z")), null);
  });
});

Deno.test("prevFire() is the latest fire at or before the instant", () => {
  const spec = parseCron("*/5 * * * *");
  assert.equal(prevFire(spec, "Europe/Berlin", at("2026-03-01T12:07:30Z")), at("2026-03-01T12:05:00Z"));
  assert.equal(prevFire(spec, "Europe/Berlin", at("2026-03-01T12:05:00Z")), at("2026-03-01T12:05:00Z"));
  assert.equal(
    prevFire(parseCron("30 2 * * *"), "Europe/Berlin", at("2025-03-30T01:10:00Z")),
    at("2025-03-30T01:00:00Z"),
  );
});

// A seeded property check (fast-check is not a dependency): next > now, prev <= now, prev(next) == next.
Deno.test("nextFire()/prevFire() agree on random crons, zones and instants", () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const exprs = [
    "*/7 * * * *",
    "30 2 * * *",
    "0 */3 * * 1-5",
    "15 1,2,3 * * *",
    "0 0 1,15 * sun",
    "45 23 L * *",
  ];
  const zones = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"];
  for (let i = 0; i < 300; i++) {
    const expr = exprs[rnd(exprs.length)] as string;
    const tz = zones[rnd(zones.length)] as string;
    const now = Date.UTC(2024, 0, 1) + rnd(730) * 86_400_000 + rnd(86_400) * 1000;
    const spec = parseCron(expr);
    const next = nextFire(spec, tz, now) as number;
    const prev = prevFire(spec, tz, now) as number;
    const ctx = `seed row ${i}: ${expr} ${tz} ${new Date(now).toISOString()}`;
    assert.ok(next > now && prev <= now, ctx);
    assert.equal(prevFire(spec, tz, next), next, ctx);
    assert.equal(nextFire(spec, tz, prev), next, ctx);
  }
});
