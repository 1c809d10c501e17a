// Crash torture: ≥200 SIGKILLs of the runner at seeded random instants (see tests/_crash_kit.ts for the checks).
// Usage: deno run -A scripts/torture.ts [--kills N] [--seed S]
import { crashSchedule } from "../tests/_crash_kit.ts";

function _arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const kills = _arg("--kills", 200);
const seed = _arg("--seed", Math.floor(Math.random() * 2 ** 31));
const dir = await Deno.makeTempDir({ prefix: "af-torture-" });
console.log(`torture: seed=${seed} kills>=${kills} dir=${dir}`);
const report = await crashSchedule({ dir, seed, minKills: kills, log: (l) => console.log(l) });
console.log(`kills=${report.kills} runs=${report.runs} invocations=${report.invocations}`);
if (report.problems.length > 0) {
  console.error(`FAILED (seed ${seed}):\n${report.problems.join("\n")}`);
  console.error(`state and ledgers kept in ${dir}`);
  Deno.exit(1);
}
await Deno.remove(dir, { recursive: true });
console.log("OK: every step exactly once after its recorded success; outputs match the uninterrupted run");
