// Stopping process groups a killed invocation left running (docs/state.md "Process groups"), against real
// processes in their own groups and a real SQLite state.
import assert from "node:assert/strict";
import { StateStore } from "../state/mod.ts";
import {
  type GroupVerdict,
  hostProbe,
  judgeGroup,
  processGroupTracker,
  stopLeftoverGroups,
} from "./process_groups.ts";
import { parseProcStat, readProcStat } from "./_proc.ts";

const HOST = "this-host";

/** A real process group (`sh` leading it, a `sleep` inside), killed and reaped when disposed. */
function _group(
  script = "sleep 300 & wait",
): { pgid: number; status: Promise<Deno.CommandStatus> } & AsyncDisposable {
  // util-linux setsid execs the shell as the leader of a new group, as external.process does (docs/steps.md).
  const child = new Deno.Command("setsid", {
    args: ["--wait", "sh", "-c", script],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    pgid: child.pid,
    status: child.status,
    async [Symbol.asyncDispose]() {
      // The pid too: before setsid() has run in the child there is no group to signal yet.
      for (const target of [-child.pid, child.pid]) {
        try {
          Deno.kill(target, "SIGKILL");
        } catch {
          // already gone
        }
      }
      await child.status;
    },
  };
}

function _alive(pgid: number): boolean {
  const stat = readProcStat(pgid);
  return stat !== null && stat.state !== "Z";
}

/** Wait (with a deadline) until the group's shell has started its `sleep`, so the group has two members. */
async function _twoMembers(pgid: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (hostProbe(HOST).all().filter((p) => p.pgrp === pgid && p.state !== "Z").length < 2) {
    if (Date.now() > deadline) throw new Error(`group ${pgid} never had two members`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function _store(): StateStore {
  return StateStore.open(":memory:", { host: HOST, pid: 1 });
}

function _record(
  store: StateStore,
  pgid: number,
  over: { startTicks?: number | null; graceMs?: number } = {},
) {
  const stat = readProcStat(pgid);
  store.recordProcessGroup({
    runId: "R",
    jobId: "j",
    stepId: "s",
    pgid,
    startTicks: over.startTicks === undefined ? stat!.startTicks : over.startTicks,
    bootId: hostProbe(HOST).bootId,
    graceMs: over.graceMs ?? 5_000,
  });
}

function _logs(): { lines: string[]; log: (level: string, msg: string) => void } {
  const lines: string[] = [];
  return { lines, log: (level, msg) => lines.push(`${level} ${msg}`) };
}

Deno.test("parseProcStat() counts fields after the last ')' (command names may hold spaces and parentheses)", () => {
  const text = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 1000 100 " +
    "18446744073709551615";
  assert.deepEqual(parseProcStat(4242, text), { pid: 4242, state: "S", pgrp: 4242, startTicks: 987654 });
  assert.equal(parseProcStat(1, "garbage"), null);
  assert.equal(readProcStat(Deno.pid)?.pid, Deno.pid);
});

Deno.test("stopLeftoverGroups() stops a group still running on this host, logs its pgid and forgets it", async () => {
  await using group = _group();
  await _twoMembers(group.pgid);
  using store = _store();
  _record(store, group.pgid);
  const { lines, log } = _logs();
  await stopLeftoverGroups({ state: store, runId: "R", host: HOST, log });
  assert.equal(_alive(group.pgid), false, lines.join("\n"));
  assert.equal(hostProbe(HOST).all().some((p) => p.pgrp === group.pgid && p.state !== "Z"), false);
  assert.match(
    lines[0]!,
    new RegExp(`^WARNING Stopping process group pgid=${group.pgid} left running .*processes=2`),
  );
  assert.equal(lines[1], `INFO Process group pgid=${group.pgid} stopped (SIGTERM) step_id=s`);
  assert.deepEqual(store.listProcessGroups("R"), []);
});

Deno.test("stopLeftoverGroups() escalates to SIGKILL after the step's grace when SIGTERM is ignored", async () => {
  await using group = _group("trap '' TERM; sleep 300 & wait; wait");
  await _twoMembers(group.pgid);
  using store = _store();
  _record(store, group.pgid, { graceMs: 200 });
  const { lines, log } = _logs();
  await stopLeftoverGroups({ state: store, runId: "R", host: HOST, log });
  assert.equal(_alive(group.pgid), false, lines.join("\n"));
  assert.equal(lines.at(-1), `INFO Process group pgid=${group.pgid} stopped (SIGKILL) step_id=s`);
});

Deno.test("a reused pid (another start time) is never signalled, and its row is forgotten", async () => {
  await using group = _group();
  await _twoMembers(group.pgid);
  using store = _store();
  const real = readProcStat(group.pgid)!.startTicks;
  _record(store, group.pgid, { startTicks: real - 1 });
  const { lines, log } = _logs();
  const sent: number[] = [];
  await stopLeftoverGroups({ state: store, runId: "R", host: HOST, log, signal: (pgid) => sent.push(pgid) });
  assert.deepEqual(sent, []);
  assert.equal(_alive(group.pgid), true, "the process now owning the pid is left alone");
  assert.match(
    lines.join("\n"),
    new RegExp(`pid ${group.pgid} is now another process \\(other start time\\)`),
  );
  assert.deepEqual(store.listProcessGroups("R"), []);
});

Deno.test("a group recorded on another host is not touched: WARNING, row kept for that host's resume", async () => {
  await using group = _group();
  await _twoMembers(group.pgid);
  using store = StateStore.open(":memory:", { host: "other-host", pid: 1 });
  _record(store, group.pgid);
  const { lines, log } = _logs();
  await stopLeftoverGroups({ state: store, runId: "R", host: HOST, log });
  assert.equal(_alive(group.pgid), true);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /^WARNING Process group pgid=\d+ of a previous invocation .*host=other-host.*another host/,
  );
  assert.equal(store.listProcessGroups("R").length, 1);
});

Deno.test("judgeGroup(): gone, rebooted, unverifiable, and a group whose leader exited but members remain", () => {
  const rec = {
    runId: "R",
    jobId: "j",
    stepId: "s",
    host: HOST,
    pgid: 500,
    startTicks: 1000,
    bootId: "b1",
    runnerPid: 9,
    graceMs: 0,
    startedAtMs: 0,
  };
  const probe = (procs: { pid: number; pgrp: number; state?: string; startTicks: number }[]) => ({
    host: HOST,
    bootId: "b1",
    stat: (pid: number) => {
      const p = procs.find((x) => x.pid === pid);
      return p ? { state: "S", ...p } : null;
    },
    all: () => procs.map((p) => ({ state: "S", ...p })),
  });
  const cases: [string, Parameters<typeof judgeGroup>[0], ReturnType<typeof probe>, GroupVerdict["kind"]][] =
    [
      ["nothing left", rec, probe([]), "gone"],
      ["leader running", rec, probe([{ pid: 500, pgrp: 500, startTicks: 1000 }]), "running"],
      [
        "leader a zombie, nothing else",
        rec,
        probe([{ pid: 500, pgrp: 500, startTicks: 1000, state: "Z" }]),
        "gone",
      ],
      ["leader gone, a member left", rec, probe([{ pid: 501, pgrp: 500, startTicks: 1001 }]), "running"],
      ["pid reused", rec, probe([{ pid: 500, pgrp: 500, startTicks: 2000 }]), "reused"],
      [
        "host restarted",
        { ...rec, bootId: "b0" },
        probe([{ pid: 500, pgrp: 500, startTicks: 1000 }]),
        "gone",
      ],
      [
        "no start time",
        { ...rec, startTicks: null },
        probe([{ pid: 500, pgrp: 500, startTicks: 1000 }]),
        "unverifiable",
      ],
      [
        "other host",
        { ...rec, host: "else" },
        probe([{ pid: 500, pgrp: 500, startTicks: 1000 }]),
        "other_host",
      ],
    ];
  for (const [name, r, p, kind] of cases) assert.equal(judgeGroup(r, p).kind, kind, name);
});

Deno.test("processGroupTracker() records the leader's start time and boot id, and clears on reap", async () => {
  await using group = _group();
  await _twoMembers(group.pgid);
  using store = _store();
  const tracker = processGroupTracker({ state: store, runId: "R", jobId: "j", stepId: "s" });
  await tracker.started(group.pgid, { graceSeconds: 2.5 });
  const [row] = store.listProcessGroups("R");
  assert.deepEqual(
    [row?.pgid, row?.startTicks, row?.bootId, row?.graceMs, row?.host],
    [group.pgid, readProcStat(group.pgid)?.startTicks, hostProbe(HOST).bootId, 2500, HOST],
  );
  await tracker.reaped(group.pgid);
  assert.deepEqual(store.listProcessGroups("R"), []);
});
