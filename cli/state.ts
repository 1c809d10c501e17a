// `aetherflow state migrate` (docs/state.md "Moving to PostgreSQL"), plus `state runs|show`, kept as hidden
// aliases of `runs list` and `runs show` (one way to do each thing; docs/cli.md "Run history").
import type { Command } from "@commander-js/extra-typings";
import { UsageError } from "../engine/errors.ts";
import { printJson } from "./_json.ts";
import { formatTable } from "./_table.ts";
import { registerRunsList, registerRunsShow } from "./runs.ts";

export function registerState(program: Command): void {
  const state = program.command("state")
    .description("Move run state between backends (state migrate)");
  state.command("migrate")
    .description("Copy a SQLite state file's history into PostgreSQL, then verify every row (idempotent)")
    .requiredOption("--from <sqlite:path>", "the SQLite state file (sqlite:<path> or a path)")
    .requiredOption("--to <postgres:url>", "the PostgreSQL state (postgres:<url> or postgres://…)")
    .option("--schema <name>", "PostgreSQL schema of the destination tables", "public")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Copies run records, job and step rows and scheduler fire rows, as stored; rows with the same key are replaced,
so running it again changes nothing. Locks are not copied; a source with a live lock (a run going on) is
refused. Exit codes: 0 copied and verified, 1 state error or verification failure, 2 bad arguments.

Example:
  aetherflow state migrate --from sqlite:/var/lib/aetherflow/state.sqlite --to "$AETHERFLOW_STATE_URL"`,
    )
    .action(async (opts) => {
      const { parseStateLocator, postgresTarget, describeTarget } = await import("../engine/state/target.ts");
      const from = parseStateLocator(opts.from, Deno.cwd());
      const to = parseStateLocator(opts.to, Deno.cwd());
      if (from.kind !== "sqlite") {
        throw new UsageError("--from must be a SQLite state (sqlite:<path>)", { loc: "--from" });
      }
      if (to.kind !== "postgres") {
        throw new UsageError("--to must be a PostgreSQL state (postgres:<url>)", { loc: "--to" });
      }
      const target = postgresTarget(to.url, opts.schema);
      const { migrateState } = await import("../engine/state/migrate.ts");
      const tables = await migrateState(from, target as typeof to);
      if (opts.json) {
        return printJson({ from: from.path, to: describeTarget(target), tables: tables as never });
      }
      console.log(`migrated ${from.path} -> ${describeTarget(target)}`);
      console.log(formatTable(
        ["TABLE", "SOURCE", "UNCHANGED", "VERIFIED"],
        tables.map((t) => [t.table, String(t.source), String(t.unchanged), String(t.verified)]),
      ));
    });
  // Aliases, hidden from help.
  registerRunsList(state, "runs", { hidden: true });
  registerRunsShow(state, "show", { hidden: true });
}
