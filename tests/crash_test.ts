// SIGKILL the runner at ≥50 seeded random instants, resuming each run with the same --run-id until it finishes
// (docs/execution-model.md step 10, D4). Replay a failure with CRASH_SEED=<seed printed below>.
import assert from "node:assert/strict";
import { tempDir } from "./_helpers.ts";
import { crashSchedule } from "./_crash_kit.ts";
import { postgresDatabase, postgresService } from "./_services.ts";

const pg = postgresService();

Deno.test("runner survives 50 SIGKILLs: exactly-once after recorded success, outputs as uninterrupted", async () => {
  await using dir = await tempDir("af-crash-");
  // A fixed default seed: the suite kills at the same instants on every run; CRASH_SEED explores others.
  const seed = Number(Deno.env.get("CRASH_SEED") ?? 20260301);
  console.log(`crash test seed: ${seed} (replay with CRASH_SEED=${seed})`);
  const report = await crashSchedule({ dir: dir.path, seed, minKills: 50 });
  console.log(
    `kills=${report.kills} runs=${report.runs} invocations=${report.invocations} baseline=${
      Math.round(report.baselineMs)
    }ms`,
  );
  assert.ok(report.kills >= 50);
  assert.deepEqual(report.problems, [], `seed ${seed}`);
});

Deno.test({
  name:
    "runner on a PostgreSQL state survives 20 SIGKILLs: exactly-once after recorded success, same outputs",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await using dir = await tempDir("af-crash-pg-");
  const seed = Number(Deno.env.get("CRASH_SEED") ?? 20260301);
  console.log(`crash test (PostgreSQL) seed: ${seed} (replay with CRASH_SEED=${seed})`);
  const report = await crashSchedule({ dir: dir.path, seed, minKills: 20, stateUrl: db.url });
  console.log(`kills=${report.kills} runs=${report.runs} invocations=${report.invocations}`);
  assert.ok(report.kills >= 20);
  assert.deepEqual(report.problems, [], `seed ${seed}`);
});
