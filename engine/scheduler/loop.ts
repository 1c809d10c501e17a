/**
 * The in-process scheduler loop behind `schedule run` (docs/scheduling.md B.4–B.7) [D13]. All effects are
 * injected (clock, spawner, logger, state repair), so tests drive it with a fake clock and fake children; the CLI
 * wires the real ones from `_runtime/`.
 *
 * Each fire runs `<self> run … --run-id <item>-<slot UTC>` as a child process. Shutdown (`stop()`): stop firing,
 * SIGTERM every child, wait the grace period (a second `stop()` skips the wait), SIGKILL what is left, then repair
 * the state of killed runs so no row keeps claiming RUNNING. Exit 0 after a clean drain, 1 otherwise.
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { JsonValue } from "../types.ts";
import { decideDue, type DueDecision, recheckWaiting } from "./decide.ts";
import { nextFire } from "./next_fire.ts";
import { runArgs, runIdFor } from "./run_args.ts";
import { DEFAULT_TIMEOUT_S, type ScheduleItem, type SchedulerConfig } from "./parse_scheduler_yaml.ts";
import { TIMEOUT_KILLED_ERROR } from "./mark_killed.ts";
import type { Clock as EngineClock } from "../clock.ts";
import type { FireClaims } from "./fire_claims.ts";

/**
 * The scheduler's view of the engine Clock: `now` and `sleep` run in scheduler time (a scaled clock in demos and
 * tests); it never needs `monotonic`.
 */
export type Clock = Pick<EngineClock, "now" | "sleep">;

export interface SpawnRequest {
  readonly argv: readonly string[];
  readonly onLine: (line: string) => void;
}

export interface ChildHandle {
  readonly pid: number;
  /** Exit code (128 + signal number when killed by a signal). */
  readonly status: Promise<number>;
  /** SIGTERM to the child (and its process group). */
  terminate(): void;
  /** SIGKILL to the child, its group and its descendants. */
  kill(): void;
}

export interface SchedulerLog {
  message(level: "INFO" | "WARNING" | "ERROR", text: string): void;
  event(name: string, fields: Readonly<Record<string, JsonValue>>): void;
  /** A relayed child output line (already prefixed `[<item_id>] `). */
  relay(line: string): void;
}

export interface SchedulerOptions {
  readonly config: SchedulerConfig;
  /** argv prefix of this program (self_command.ts). */
  readonly selfCommand: readonly string[];
  readonly clock: Clock;
  readonly spawn: (req: SpawnRequest) => ChildHandle;
  readonly log: SchedulerLog;
  /** Item path resolution (`paths_relative_to`). */
  readonly resolvePath?: (p: string) => string;
  /** Drain grace in ms (`--grace-seconds`, default 30 s) and how to wait for it (real time). */
  readonly graceMs?: number;
  readonly drainSleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Global cap on concurrent children (upstream thread-pool size). */
  readonly maxChildren?: number;
  /** Longest sleep, so clock jumps are noticed (B.5). */
  readonly maxSleepMs?: number;
  /** Mark a killed run FAILED in its state DB (learned from the child's `run_start` event). */
  readonly repairKilled?: (runId: string, statePath: string, error?: string) => Promise<void> | void;
  /**
   * Real-time wait for item timeouts (`timeout`, default `DEFAULT_TIMEOUT_S`): a run still going when it
   * resolves gets SIGTERM, then SIGKILL after the grace. Without it runs are not timed out.
   */
  readonly timeoutSleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Shared fire claims (docs/fleet.md "Exactly once"): with them each slot is claimed before its run starts, so
   * schedulers on several hosts sharing one state start it once; abandoned claims are taken over and resumed.
   */
  readonly fires?: FireClaims;
}

interface _Running {
  readonly item: ScheduleItem;
  readonly runId: string;
  readonly slot: number;
  readonly child: ChildHandle;
  readonly started: number;
  statePath?: string;
  done: boolean;
  /** Cancels the timeout timers once the child exits. */
  readonly timer: AbortController;
  killedByTimeout?: boolean;
}

/** Global cap on concurrent children when `maxChildren` is not given. */
const _DEFAULT_MAX_CHILDREN = 10;

/** Logger name of every scheduler line (docs/observability.md). */
export const SCHEDULER_LOGGER = "aetherflow.scheduler";

export class Scheduler {
  readonly #o: SchedulerOptions;
  readonly #next = new Map<string, number | null>();
  readonly #running = new Map<string, _Running>();
  readonly #waiting = new Map<string, number>();
  /** Items whose slot is being claimed in the shared state (counted as running). */
  readonly #claiming = new Set<string>();
  /** Fire ends being recorded in the shared state, awaited by the drain (they land after the children exit). */
  readonly #recording: Promise<void>[] = [];
  /** The takeover look-up in flight (one at a time), awaited by the drain. */
  #takingOver: Promise<void> | null = null;
  readonly #finished: Promise<void>[] = [];
  #stopping = 0;
  #wake = new AbortController();
  readonly #skipDrain = new AbortController();

  constructor(options: SchedulerOptions) {
    this.#o = options;
  }

  /** Item ids with a running child (for tests and status). */
  get runningItems(): string[] {
    return [...this.#running.keys()];
  }

  /** Run until `stop()`; resolves with the exit code (0 clean drain, 1 a child had to be killed). */
  async run(): Promise<number> {
    const { config, clock, log } = this.#o;
    const now = clock.now();
    for (const item of config.items) {
      this.#next.set(item.id, nextFire(item.spec, config.timezone, now));
      log.message("INFO", `Scheduled ${item.id} -> ${item.cron}`);
    }
    log.message("INFO", "Scheduler running");
    while (this.#stopping === 0) {
      this.tick();
      const wakeIn = this.#sleepMs();
      this.#wake = new AbortController();
      await clock.sleep(wakeIn, this.#wake.signal);
    }
    return await this.#drain();
  }

  /** One wake of the loop: decide every due item. Public so tests can step a fake clock. */
  tick(): void {
    const { config, clock } = this.#o;
    const now = clock.now();
    for (const item of config.items) {
      const next = this.#next.get(item.id);
      if (next === null || next === undefined) continue;
      const res = decideDue({
        item,
        tz: config.timezone,
        next,
        now,
        running: this.#running.has(item.id) || this.#claiming.has(item.id),
        capReached: this.#running.size >= (this.#o.maxChildren ?? _DEFAULT_MAX_CHILDREN),
      });
      this.#next.set(item.id, res.next);
      if (!res.decision) continue;
      if (res.coalesced > 0) {
        this.#o.log.event("schedule_coalesce", {
          item_id: item.id,
          dropped: res.coalesced,
          scheduled: new Date(res.decision.slot).toISOString(),
        });
      }
      this.#apply(item, res.decision);
    }
    if (this.#o.fires && this.#takingOver === null && this.#stopping === 0) {
      this.#takingOver = this.#takeOver(this.#o.fires).finally(() => (this.#takingOver = null));
    }
  }

  /** Resume one run whose scheduler stopped renewing its claim (its host died), if any of our items has one. */
  async #takeOver(fires: FireClaims): Promise<void> {
    const idle = this.#o.config.items.map((i) => i.id).filter((id) =>
      !this.#running.has(id) && !this.#claiming.has(id)
    );
    if (idle.length === 0) return;
    let taken: Awaited<ReturnType<FireClaims["takeOver"]>>;
    try {
      taken = await fires.takeOver(idle);
    } catch (err) {
      this.#o.log.message("ERROR", `Could not look for abandoned fires: ${errorMessage(err)}`);
      return;
    }
    if (taken === null) return;
    const item = this.#o.config.items.find((i) => i.id === taken.itemId);
    if (!item || this.#stopping > 0 || this.#running.has(item.id)) {
      await fires.release(taken.itemId, taken.slotMs).catch(() => {});
      return;
    }
    this.#o.log.event("schedule_takeover", {
      item_id: item.id,
      run_id: taken.runId,
      scheduled: new Date(taken.slotMs).toISOString(),
    });
    this.#spawn(item, taken.slotMs, taken.runId);
  }

  /** Take over `item`'s abandoned fire, if it has one, and resume its run; whether it did. */
  async #takeOverItem(fires: FireClaims, item: ScheduleItem): Promise<boolean> {
    let taken: Awaited<ReturnType<FireClaims["takeOver"]>>;
    try {
      taken = await fires.takeOver([item.id]);
    } catch (err) {
      this.#o.log.message("ERROR", `Could not look for abandoned fires: ${errorMessage(err)}`);
      return false;
    }
    if (taken === null) return false;
    if (this.#stopping > 0 || this.#running.has(item.id)) {
      await fires.release(taken.itemId, taken.slotMs).catch(() => {});
      return false;
    }
    this.#o.log.event("schedule_takeover", {
      item_id: item.id,
      run_id: taken.runId,
      scheduled: new Date(taken.slotMs).toISOString(),
    });
    this.#spawn(item, taken.slotMs, taken.runId);
    return true;
  }

  /** First call: stop firing and drain; second call: skip the grace wait (B.7). */
  stop(signal = "SIGTERM"): void {
    this.#stopping++;
    if (this.#stopping === 1) {
      this.#o.log.message(
        "INFO",
        `Scheduler stopping on ${signal}: no new fires, terminating ${this.#running.size} running child(ren)`,
      );
    } else {
      this.#skipDrain.abort();
    }
    this.#wake.abort();
  }

  #apply(item: ScheduleItem, decision: DueDecision): void {
    const log = this.#o.log;
    const scheduled = new Date(decision.slot).toISOString();
    switch (decision.kind) {
      case "missed": {
        const late = Number((decision.lateMs / 1000).toFixed(3));
        log.event("schedule_skip", { item_id: item.id, reason: "misfire", scheduled, late_s: late });
        log.message("WARNING", `Run time of item ${item.id} was missed by ${late}s`);
        return;
      }
      case "overlap":
        log.event("schedule_skip", { item_id: item.id, reason: "overlap", scheduled });
        log.message(
          "WARNING",
          `Execution of item ${item.id} skipped: maximum number of running instances reached (1)`,
        );
        return;
      case "wait":
        this.#waiting.set(item.id, decision.slot);
        log.event("schedule_wait", { item_id: item.id, scheduled, running: this.#running.size });
        return;
      case "fire":
        this.#fire(item, decision.slot);
    }
  }

  #fire(item: ScheduleItem, slot: number): void {
    const runId = runIdFor(item.id, slot);
    const fires = this.#o.fires;
    if (!fires) return this.#spawn(item, slot, runId);
    this.#claiming.add(item.id);
    this.#finished.push(this.#claimThenSpawn(fires, item, slot, runId));
  }

  async #claimThenSpawn(fires: FireClaims, item: ScheduleItem, slot: number, runId: string): Promise<void> {
    const scheduled = new Date(slot).toISOString();
    try {
      const res = await fires.claim(item.id, slot, runId);
      if (res.kind === "taken") {
        this.#o.log.event("schedule_skip", {
          item_id: item.id,
          reason: "claimed",
          scheduled,
          host: res.host,
        });
        return;
      }
      if (res.kind === "overlap") {
        this.#o.log.event("schedule_skip", {
          item_id: item.id,
          reason: "overlap",
          scheduled,
          host: res.host,
        });
        // The earlier run may be abandoned (its scheduler died): resume it now. The idle-item look-up at the end
        // of a wake never sees this item while its slot is being claimed, and an item due at every wake would
        // otherwise stay blocked for good (docs/fleet.md "Exactly once").
        if (this.#stopping === 0 && await this.#takeOverItem(fires, item)) return;
        this.#o.log.message(
          "WARNING",
          `Execution of item ${item.id} skipped: an earlier run is still going on host ${res.host}`,
        );
        return;
      }
      if (this.#stopping > 0) {
        await fires.release(item.id, slot);
        return;
      }
      this.#spawn(item, slot, runId);
    } catch (err) {
      // Not fired rather than fired twice: another scheduler may claim the slot, or the next slot runs.
      this.#o.log.message(
        "ERROR",
        `Could not claim ${runId} of item ${item.id}: ${errorMessage(err)}; not fired`,
      );
    } finally {
      this.#claiming.delete(item.id);
    }
  }

  #spawn(item: ScheduleItem, slot: number, runId: string): void {
    const argv = [...this.#o.selfCommand, ...runArgs(item, this.#o.resolvePath), "--run-id", runId];
    const entry: Partial<_Running> = {};
    let child: ChildHandle;
    try {
      child = this.#o.spawn({
        argv,
        onLine: (line) => {
          const state = parseRunStartState(line);
          if (state !== undefined) entry.statePath = state;
          this.#o.log.relay(`[${item.id}] ${line}`);
        },
      });
    } catch (err) {
      const msg = errorMessage(err);
      this.#o.log.event("schedule_finish", { item_id: item.id, run_id: runId, rc: null, error: msg });
      this.#o.log.message("ERROR", `Run ${runId} of item ${item.id} could not start: ${msg}`);
      return;
    }
    const running: _Running = Object.assign(entry, {
      item,
      runId,
      slot,
      child,
      started: performance.now(),
      done: false,
      timer: new AbortController(),
    });
    this.#watchTimeout(running);
    this.#renewClaim(running);
    this.#running.set(item.id, running);
    this.#o.log.event("schedule_fire", {
      item_id: item.id,
      run_id: runId,
      scheduled: new Date(slot).toISOString(),
      pid: child.pid,
    });
    this.#finished.push(child.status.then((rc) => this.#onExit(running, rc)));
  }

  /** Keep the run's fire claim fresh (every third of its TTL, real time) until the child exits. */
  #renewClaim(r: _Running): void {
    const fires = this.#o.fires;
    if (!fires) return;
    const everyMs = Math.max(1, fires.ttlSeconds * 1000 / 3);
    void (async () => {
      while (!r.done) {
        await this.#o.drainSleep(everyMs, r.timer.signal);
        if (r.done) return;
        try {
          if (!(await fires.renew(r.item.id, r.slot))) {
            this.#o.log.message(
              "WARNING",
              `Fire claim of ${r.runId} was lost: another scheduler may resume it`,
            );
            return;
          }
        } catch (err) {
          this.#o.log.message(
            "WARNING",
            `Could not renew the fire claim of ${r.runId}: ${errorMessage(err)}`,
          );
        }
      }
    })();
  }

  /** The item's `timeout` (real time): SIGTERM, then SIGKILL after the grace; the killed run is repaired. */
  #watchTimeout(r: _Running): void {
    const wait = this.#o.timeoutSleep;
    if (!wait) return;
    const limitS = r.item.timeoutS ?? DEFAULT_TIMEOUT_S;
    const alive = () => !r.done && !r.timer.signal.aborted;
    void wait(limitS * 1000, r.timer.signal).then(async () => {
      if (!alive()) return;
      this.#o.log.event("schedule_timeout", { item_id: r.item.id, run_id: r.runId, timeout_s: limitS });
      this.#o.log.message(
        "WARNING",
        `Run ${r.runId} of item ${r.item.id} exceeded its timeout of ${limitS}s: terminating it`,
      );
      r.child.terminate();
      await wait(this.#o.graceMs ?? 30_000, r.timer.signal);
      if (!alive()) return;
      this.#o.log.message(
        "WARNING",
        `Killing run ${r.runId} of item ${r.item.id}: still running after the grace`,
      );
      r.killedByTimeout = true;
      r.child.kill();
    });
  }

  #onExit(r: _Running, rc: number): void {
    r.done = true;
    r.timer.abort();
    this.#running.delete(r.item.id);
    // Real elapsed time (monotonic), not scheduler time, which the hidden fast clock scales.
    const duration = Math.max(0, Math.trunc(performance.now() - r.started));
    this.#o.log.event("schedule_finish", { item_id: r.item.id, run_id: r.runId, rc, duration_ms: duration });
    this.#o.log.message(rc === 0 ? "INFO" : "ERROR", `Run ${r.runId} of item ${r.item.id} finished rc=${rc}`);
    const fires = this.#o.fires;
    if (fires) {
      this.#recording.push(
        fires.finish(r.item.id, r.slot, rc).catch((err) =>
          this.#o.log.message("ERROR", `Could not record the end of ${r.runId}: ${errorMessage(err)}`)
        ),
      );
    }
    if (r.killedByTimeout && r.statePath && this.#o.repairKilled) {
      const statePath = r.statePath;
      this.#finished.push(
        Promise.resolve()
          .then(() => this.#o.repairKilled?.(r.runId, statePath, TIMEOUT_KILLED_ERROR))
          .catch((err) =>
            this.#o.log.message(
              "ERROR",
              `Could not mark run ${r.runId} FAILED in ${statePath}: ${errorMessage(err)}`,
            )
          ),
      );
    }
    if (this.#stopping === 0) this.#startWaiting();
  }

  /** Start fires that waited for the global cap, oldest first, re-checking their misfire (B.5). */
  #startWaiting(): void {
    const now = this.#o.clock.now();
    for (const [id, slot] of [...this.#waiting].sort((a, b) => a[1] - b[1])) {
      if (this.#running.size >= (this.#o.maxChildren ?? _DEFAULT_MAX_CHILDREN)) return;
      this.#waiting.delete(id);
      const item = this.#o.config.items.find((i) => i.id === id) as ScheduleItem;
      this.#apply(item, this.#running.has(id) ? { kind: "overlap", slot } : recheckWaiting(item, slot, now));
    }
  }

  #sleepMs(): number {
    const now = this.#o.clock.now();
    let wake = this.#o.maxSleepMs ?? 60_000;
    for (const next of this.#next.values()) if (next !== null) wake = Math.min(wake, next - now);
    return Math.max(0, wake);
  }

  async #drain(): Promise<number> {
    const { log } = this.#o;
    this.#waiting.clear();
    const children = [...this.#running.values()];
    for (const r of children) {
      r.timer.abort(); // the shutdown grace takes over from the item timeout
      r.child.terminate();
    }
    await this.#takingOver;
    const allDone = Promise.all(this.#finished);
    if (children.length > 0 && this.#stopping < 2) {
      const drained = new AbortController();
      const wait = this.#o.drainSleep(
        this.#o.graceMs ?? 30_000,
        AbortSignal.any([this.#skipDrain.signal, drained.signal]),
      );
      await Promise.race([allDone, wait]);
      drained.abort(); // release the grace timer once every child is gone
    }
    const leftover = children.filter((r) => !r.done);
    for (const r of leftover) {
      log.message(
        "WARNING",
        `Killing run ${r.runId} of item ${r.item.id}: still running after the shutdown grace`,
      );
      r.child.kill();
    }
    await allDone;
    for (const r of leftover) {
      if (!r.statePath || !this.#o.repairKilled) continue;
      try {
        await this.#o.repairKilled(r.runId, r.statePath);
      } catch (err) {
        log.message("ERROR", `Could not mark run ${r.runId} FAILED in ${r.statePath}: ${errorMessage(err)}`);
      }
    }
    await Promise.all(this.#recording);
    log.event("schedule_stop", { killed: leftover.length });
    return leftover.length === 0 ? 0 : 1;
  }
}

const _RUN_START_TEXT_REGEXP = / - run_start .* state=(.+)$/;

/** The `state` field of a child's `run_start` event line (text or JSON form, docs/observability.md), if it is one. */
export function parseRunStartState(line: string): string | undefined {
  // Runs on every relayed child line: skip the JSON parse and the regex for the lines that cannot match.
  if (!line.includes("run_start")) return undefined;
  const trimmed = line.trim();
  if (trimmed.startsWith("{")) {
    try {
      const obj: unknown = JSON.parse(trimmed);
      if (obj && typeof obj === "object" && (obj as Record<string, unknown>).event === "run_start") {
        const state = (obj as Record<string, unknown>).state;
        return typeof state === "string" ? state : undefined;
      }
    } catch {
      return undefined;
    }
    return undefined;
  }
  const m = _RUN_START_TEXT_REGEXP.exec(trimmed);
  return m ? m[1] : undefined;
}
