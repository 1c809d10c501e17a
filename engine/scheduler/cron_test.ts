import assert from "node:assert/strict";
import { CronError, cronNeverFires, numericDowWarnings, parseCron } from "./cron.ts";

// docs/scheduling.md B.3: every field form.
const VALUES = [
  ["star", "* * * * *", "minute", 60],
  ["step from star", "*/15 * * * *", "minute", [0, 15, 30, 45]],
  ["range", "0 9-11 * * *", "hour", [9, 10, 11]],
  ["range with step", "0 9-17/2 * * *", "hour", [9, 11, 13, 15, 17]],
  ["open step a/n runs to the field max", "50/5 * * * *", "minute", [50, 55]],
  ["list", "0 0 1,15,31 * *", "dom", [1, 15, 31]],
  ["day step starts at the minimum", "0 0 */10 * *", "dom", [1, 11, 21, 31]],
  ["month names", "0 0 1 jan,MAR-may *", "month", [1, 3, 4, 5]],
  ["weekday names", "0 0 * * mon-fri", "dow", [1, 2, 3, 4, 5]],
  ["dow 7 is Sunday", "0 0 * * 7", "dow", [0]],
  ["dow 0 and 7 fold", "0 0 * * 0,7", "dow", [0]],
  ["dow range to 7", "0 0 * * 5-7", "dow", [0, 5, 6]],
  ["dow star step does not repeat Sunday", "0 0 * * */2", "dow", [0, 2, 4, 6]],
] as const;

Deno.test("parseCron() expands every field form", async (t) => {
  for (const [name, expr, field, want] of VALUES) {
    await t.step(name, () => {
      const values = parseCron(expr)[field].values;
      if (typeof want === "number") assert.equal(values.length, want);
      else assert.deepEqual(values, want);
    });
  }
});

const ERRORS = [
  ["four fields", "* * * *", "Wrong number of fields; got 4, expected 5"],
  ["six fields (no seconds)", "0 * * * * *", "Wrong number of fields; got 6, expected 5"],
  ["bare step", "/2 * * * *", "field minute"],
  ["minute out of range", "60 * * * *", "Value 60 out of range 0-59 in field minute"],
  ["day 0", "0 0 0 * *", "field day-of-month"],
  ["dow 8", "0 0 * * 8", "field day-of-week"],
  ["reversed range", "0 5-2 * * *", 'Reversed range "5-2" in field hour'],
  ["zero step", "*/0 * * * *", "Step must be a positive integer"],
  ["unknown name", "0 0 * * funday", 'Invalid value "funday" in field day-of-week'],
  ["L outside day-of-month", "0 0 * * L", "field day-of-week"],
  ["empty list item", "0,,5 * * * *", "Empty list item in field minute"],
  ["@daily macro", "@daily", 'Cron macros are not supported: @daily (use the 5-field form "0 0 * * *")'],
  ["@reboot macro", "@reboot", "Cron macros are not supported: @reboot (use a 5-field expression)"],
  ["six fields hint", "0 0 * * * *", "no seconds or year field"],
] as const;

Deno.test("parseCron() rejects bad expressions naming the field", async (t) => {
  for (const [name, expr, text] of ERRORS) {
    await t.step(name, () => {
      assert.throws(() => parseCron(expr), (err: unknown) => {
        assert.ok(err instanceof CronError);
        assert.equal(err.code, "scheduler:invalid_cron");
        assert.ok(err.message.includes(text), err.message);
        return true;
      });
    });
  }
});

Deno.test("parseCron() marks OR semantics only when both day fields are restricted", () => {
  assert.equal(parseCron("0 0 1 * 1").dayOr, true);
  assert.equal(parseCron("0 0 * * 1").dayOr, false);
  assert.equal(parseCron("0 0 */2 * 1").dayOr, false); // Vixie cron: a field starting with * is unrestricted
  assert.equal(parseCron("0 0 L * *").domLast, true);
  assert.equal(parseCron("0 0 last * *").domLast, true);
});

Deno.test("cronNeverFires() finds impossible dates only", () => {
  assert.equal(cronNeverFires(parseCron("0 0 31 2 *")), true);
  assert.equal(cronNeverFires(parseCron("0 0 30,31 2 *")), true);
  assert.equal(cronNeverFires(parseCron("0 0 29 2 *")), false);
  assert.equal(cronNeverFires(parseCron("0 0 31 2 1")), false); // OR: every Monday in February
  assert.equal(cronNeverFires(parseCron("0 0 L 2 *")), false);
});

Deno.test("numericDowWarnings() names the day each number means here and the unambiguous spelling", () => {
  assert.deepEqual(numericDowWarnings("*/3 * * * 1"), [
    "day-of-week 1 means Monday in aetherflow (standard cron: 0 and 7 = Sunday, 1 = Monday); " +
    "write 'mon' to make it unambiguous",
  ]);
  assert.equal(numericDowWarnings("0 0 * * 1-5").length, 2);
  assert.match(numericDowWarnings("0 0 * * 7")[0] ?? "", /^day-of-week 7 means Sunday .* write 'sun'/);
  assert.ok(numericDowWarnings("0 0 * * 0,1").every((w) => !/Python/.test(w)));
  assert.deepEqual(numericDowWarnings("0 0 * * mon"), []);
  assert.deepEqual(numericDowWarnings("0 0 * * */2"), []);
});
