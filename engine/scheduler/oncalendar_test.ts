import assert from "node:assert/strict";
import { parseCron } from "./cron.ts";
import { nextFires } from "./next_fire.ts";
import { cronToOnCalendar, OnCalendarError } from "./oncalendar.ts";
import { calendarElapses, SYSTEMD_SKIP_REASON } from "./_systemd_test_util.ts";

// B.10 mapping table: one row per field form; the expected OnCalendar lines are ours, the elapses are systemd's.
const TZ = "Europe/Berlin";
const CASES = [
  ["every minute", "* * * * *", ["*-*-* *:*:00 TZ"]],
  ["minute step", "*/5 * * * *", ["*-*-* *:00/5:00 TZ"]],
  ["fixed time (zero-padded)", "30 2 * * *", ["*-*-* 02:30:00 TZ"]],
  ["hour range", "0 9-17 * * *", ["*-*-* 09..17:00:00 TZ"]],
  ["hour range with step", "0 9-17/2 * * *", ["*-*-* 09..17/2:00:00 TZ"]],
  ["open step a/n", "5/15 * * * *", ["*-*-* *:05/15:00 TZ"]],
  ["lists", "0,30 8,20 * * *", ["*-*-* 08,20:00,30:00 TZ"]],
  ["day list", "0 0 1,15 * *", ["*-*-01,15 00:00:00 TZ"]],
  ["day step from 1", "0 0 */10 * *", ["*-*-01/10 00:00:00 TZ"]],
  ["month names and range", "0 12 1 jan,mar-may *", ["*-01,03..05-01 12:00:00 TZ"]],
  ["month step", "0 0 1 */3 *", ["*-01/3-01 00:00:00 TZ"]],
  ["weekday names range", "0 7 * * mon-fri", ["Mon..Fri *-*-* 07:00:00 TZ"]],
  ["weekday list", "0 7 * * mon,wed-fri", ["Mon,Wed..Fri *-*-* 07:00:00 TZ"]],
  ["dow 0 is Sunday", "0 7 * * 0", ["Sun *-*-* 07:00:00 TZ"]],
  ["dow 7 is Sunday", "0 7 * * 7", ["Sun *-*-* 07:00:00 TZ"]],
  ["dow numbers 1-5", "0 7 * * 1-5", ["Mon..Fri *-*-* 07:00:00 TZ"]],
  ["dow range through 7", "0 7 * * 5-7", ["Fri..Sun *-*-* 07:00:00 TZ"]],
  ["dow wrapping 0-2 in Monday-first order", "0 7 * * 0-2", ["Mon,Tue,Sun *-*-* 07:00:00 TZ"]],
  ["dow step", "0 7 * * */2", ["Tue,Thu,Sat,Sun *-*-* 07:00:00 TZ"]],
  ["last day of month", "0 23 L * *", ["*-*~01 23:00:00 TZ"]],
  ["first and last day split", "0 0 1,L * *", ["*-*-01 00:00:00 TZ", "*-*~01 00:00:00 TZ"]],
  ["both day fields: OR as two lines", "15 10 1,15 * mon", [
    "Mon *-*-* 10:15:00 TZ",
    "*-*-01,15 10:15:00 TZ",
  ]],
  ["day step with weekday: AND", "0 0 */2 * mon", ["Mon *-*-01/2 00:00:00 TZ"]],
  ["leap day", "0 0 29 2 *", ["*-02-29 00:00:00 TZ"]],
] as const;

Deno.test("cronToOnCalendar() maps every field form (B.10 table)", async (t) => {
  for (const [name, expr, want] of CASES) {
    await t.step(name, () => {
      assert.deepEqual(cronToOnCalendar(parseCron(expr), TZ), want.map((w) => w.replace("TZ", TZ)));
    });
  }
});

Deno.test("cronToOnCalendar() refuses a cron that never fires", () => {
  assert.throws(() => cronToOnCalendar(parseCron("0 0 31 2 *"), TZ), OnCalendarError);
});

// Away from DST transitions systemd and our loop agree exactly (B.10 "Where systemd differs" lists the DST rows).
const BASE = Date.parse("2026-01-05T10:07:00Z");
const N = 8;

Deno.test({
  name: "cronToOnCalendar() output gives the same elapses as `schedule next` (systemd-analyze calendar)",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: async (t) => {
    for (const [name, expr] of CASES) {
      await t.step(name, () => {
        const spec = parseCron(expr);
        const lines = cronToOnCalendar(spec, TZ);
        const systemd = [...new Set(lines.flatMap((l) => calendarElapses(l, BASE, N)))].sort((a, b) => a - b)
          .slice(0, N);
        const ours = nextFires(spec, TZ, BASE, N);
        assert.deepEqual(
          systemd.map((x) => new Date(x).toISOString()),
          ours.map((x) => new Date(x).toISOString()),
        );
      });
    }
  },
});

Deno.test({
  name: "systemd and the loop differ only on DST days (documented)",
  ignore: SYSTEMD_SKIP_REASON !== null,
  fn: () => {
    // 02:30 Berlin on the spring-forward day: systemd skips the day, our loop fires at 03:00 CEST.
    const base = Date.parse("2026-03-28T12:00:00Z");
    const [sd] = calendarElapses("*-*-* 02:30:00 Europe/Berlin", base, 1);
    assert.equal(new Date(sd as number).toISOString(), "2026-03-30T00:30:00.000Z");
    const [ours] = nextFires(parseCron("30 2 * * *"), TZ, base, 1);
    assert.equal(new Date(ours as number).toISOString(), "2026-03-29T01:00:00.000Z");
  },
});

if (SYSTEMD_SKIP_REASON) console.warn(SYSTEMD_SKIP_REASON);
