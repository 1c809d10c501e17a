// `aetherflow locks list|release` (docs/cli.md "Locks"): what is held, by whom, and whether that process is
// still alive; release refuses a lock whose holder is alive on this host unless --force.
import type { Command } from "@commander-js/extra-typings";
import { AetherflowError, EXIT, UsageError } from "../engine/errors.ts";
import type { LockInfo } from "../engine/state/mod.ts";
import type { JsonObject } from "../engine/types.ts";
import { printJson } from "./_json.ts";
import { DB_OPTION, FLOW_OPTION, openState, resolveStateTarget } from "./_state_target.ts";
import { formatTable, formatTime } from "./_table.ts";

const _RUN_LEASE_PREFIX = "run:";

function _lockJson(l: LockInfo): JsonObject {
  const ms = l.expiresAt * 1000;
  return {
    key: l.key,
    owner: l.owner,
    host: l.host,
    pid: l.pid,
    expires_at: new Date(ms).toISOString(),
    expires_at_ms: ms,
    expired: l.expired,
    alive: l.alive,
    run_lease: l.key.startsWith(_RUN_LEASE_PREFIX),
  };
}

function _alive(l: LockInfo): string {
  return l.alive === null ? "unknown" : l.alive ? "yes" : "no";
}

export function registerLocks(program: Command): void {
  const locks = program.command("locks").description(
    "List and release locks (with_lock keys and run leases)",
  );
  locks.command("list")
    .description("List every lock: key, owner (run id), host, pid, expiry, whether the owner is alive")
    .argument("[flow_yaml]", "the flow whose state.path to read")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
"alive" is checked on this host only (kill -0 on the pid); a lock held from another host shows "unknown".
Keys "run:<run_id>" are run leases: one invocation per run id at a time.

Examples:
  aetherflow locks list flows/daily.yaml
  aetherflow locks list --db state/af.db --json`,
    )
    .action(async (flowArg, opts) => {
      const target = await resolveStateTarget({ flow: flowArg, flowOption: opts.flow, db: opts.db });
      await using store = await openState(target.state);
      const rows = await store.listLocks();
      if (opts.json) return printJson({ state: store.path, locks: rows.map(_lockJson) });
      if (rows.length === 0) return console.log("No locks held");
      console.log(formatTable(
        ["KEY", "OWNER", "HOST", "PID", "EXPIRES", "ALIVE"],
        rows.map((l) => [
          l.key,
          l.owner,
          l.host ?? "-",
          l.pid === null ? "-" : String(l.pid),
          formatTime(new Date(l.expiresAt * 1000).toISOString()) + (l.expired ? " (expired)" : ""),
          _alive(l),
        ]),
      ));
    });
  locks.command("release")
    .description("Delete one lock row (refused while its holder is alive on this host, unless --force)")
    .argument("<key>", "the lock key (see locks list)")
    .argument("[flow_yaml]", "the flow whose state.path to read")
    .option(...FLOW_OPTION)
    .option(...DB_OPTION)
    .option("--force", "release even though the holder process is alive (it may then run unprotected)")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      `
Exit codes: 0 released, 1 refused (holder alive) or state error, 2 unknown key or database.

Examples:
  aetherflow locks release daily-export flows/daily.yaml
  aetherflow locks release run:nightly-2 --db state/af.db --force`,
    )
    .action(async (key, flowArg, opts) => {
      const target = await resolveStateTarget({ flow: flowArg, flowOption: opts.flow, db: opts.db });
      await using store = await openState(target.state, { write: true });
      const result = await store.forceReleaseLock(key, { force: opts.force === true });
      if (result === null) {
        throw new UsageError(`Unknown lock key: ${JSON.stringify(key)} (not held in ${store.path})`, {
          code: "usage:unknown_lock",
          loc: "KEY",
        });
      }
      const l = result.lock;
      if (result.refused) {
        throw new AetherflowError(
          `Lock ${
            JSON.stringify(key)
          } is held by a live process (owner ${l.owner}, host ${l.host}, pid ${l.pid}); ` +
            "stop it first, or use --force",
          { code: "locks:holder_alive", exitCode: EXIT.FAILED, loc: "KEY" },
        );
      }
      if (!result.released) {
        throw new AetherflowError(`Lock ${JSON.stringify(key)} changed hands while releasing; look again`, {
          code: "locks:changed",
          exitCode: EXIT.FAILED,
          loc: "KEY",
        });
      }
      if (opts.json) return printJson({ state: store.path, released: _lockJson(l) });
      console.log(
        `released ${key} (owner ${l.owner}, host ${l.host ?? "-"}, pid ${l.pid ?? "-"}, alive ${_alive(l)})`,
      );
    });
}
