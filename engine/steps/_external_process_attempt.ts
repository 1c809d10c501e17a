// One `external.process` attempt (docs/steps.md steps 3–4, docs/execution-model.md): spawn in a new process group, read
// every stream to the end, and on timeout or run abort terminate the whole group (SIGTERM, grace, SIGKILL) [D16].
import { errorMessage, StepError } from "../errors.ts";
import type { StepLogger } from "./types.ts";
import type { AttemptOutcome, LogMode, ProcessPlan } from "./_external_process_plan.ts";
import { type ByteSecrets, StreamMasker } from "../config/stream_masker.ts";
import {
  CaptureBuffer,
  drainStream,
  lenientWriter,
  type SharedLogFile,
  type StreamSink,
  writeAllTo,
} from "./_output_capture.ts";
import { type GroupChild, spawnInGroup, type StdioMode, terminateGroup } from "./_process_group.ts";

/** After the group is killed, how long to wait for pipes held by a process that escaped the group. */
const PIPE_SETTLE_SECONDS = 2;

export interface AttemptOptions {
  plan: Pick<ProcessPlan, "argv" | "log" | "timeoutSeconds" | "killGraceSeconds">;
  cwd: string | undefined;
  env: Record<string, string>;
  logFile: SharedLogFile | null;
  log: StepLogger;
  signal: AbortSignal;
  stepId: string;
  /**
   * Called with the child's pid (its process-group id) once it is spawned, before the attempt waits for it: the
   * step records the group in state here (docs/state.md "Process groups"). A throw stops the group and fails.
   */
  onSpawn?: (pid: number) => Promise<void>;
  /** The run's secrets: `inherit` and `file` output is masked with them as it streams [D18]. */
  secrets: ByteSecrets | null;
}

/** Where `inherit` output goes: the engine's own stdout and stderr. */
const _STD_STREAMS = {
  stdout: (bytes: Uint8Array) => writeAllTo(Deno.stdout, bytes),
  stderr: (bytes: Uint8Array) => writeAllTo(Deno.stderr, bytes),
};

export interface AttemptReport {
  /** `aborted` = the run was terminated (docs/execution-model.md) and the group was killed. */
  outcome: AttemptOutcome | { kind: "aborted" };
  stdout: CaptureBuffer | null;
  stderr: CaptureBuffer | null;
}

/**
 * `inherit` is piped too: the child's output reaches the engine's stdout/stderr through the masker, never
 * straight (docs/secrets.md "Child process output").
 */
function _stdio(mode: LogMode): StdioMode {
  return mode === "discard" ? "null" : "piped";
}

function _sink(
  mode: LogMode,
  options: {
    capture: CaptureBuffer | null;
    logFile: SharedLogFile | null;
    onLine: (line: string) => void;
    secrets: ByteSecrets | null;
    inherit: (bytes: Uint8Array) => Promise<void>;
  },
): StreamSink {
  const masked = (write: (bytes: Uint8Array) => Promise<void>) => ({
    out: new StreamMasker(options.secrets, lenientWriter(write)),
  });
  if (mode === "file" && options.logFile) {
    const file = options.logFile;
    return masked((bytes) => file.write(bytes));
  }
  if (mode === "capture" && options.capture) return { capture: options.capture, onLine: options.onLine };
  if (mode === "inherit") return masked(options.inherit);
  return {};
}

function _timer(seconds: number | null): { promise: Promise<"timeout">; cancel(): void } {
  if (seconds === null) return { promise: new Promise(() => {}), cancel: () => {} };
  let id: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((done) => (id = setTimeout(() => done("timeout"), seconds * 1000)));
  return { promise, cancel: () => clearTimeout(id) };
}

function _abortWatch(signal: AbortSignal): { promise: Promise<"aborted">; cancel(): void } {
  let onAbort = () => {};
  const promise = new Promise<"aborted">((done) => {
    onAbort = () => done("aborted");
    if (signal.aborted) done("aborted");
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  return { promise, cancel: () => signal.removeEventListener("abort", onAbort) };
}

function _spawn(options: AttemptOptions): GroupChild {
  const { plan } = options;
  try {
    return spawnInGroup(plan.argv, {
      cwd: options.cwd,
      env: options.env,
      stdout: _stdio(plan.log.stdout),
      stderr: _stdio(plan.log.stderr),
    });
  } catch (err) {
    if (err instanceof StepError) throw err;
    // A spawn error is not an exit code: it is never retried.
    throw new StepError(
      `external.process could not start ${JSON.stringify(plan.argv[0])}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Run one attempt to its end (exit, timeout or abort); never leaves a member of the group alive on timeout/abort. */
export async function runAttempt(options: AttemptOptions): Promise<AttemptReport> {
  const { plan, log, stepId } = options;
  const cap = plan.log.maxCaptureBytes;
  const stdout = plan.log.stdout === "capture" ? new CaptureBuffer(cap) : null;
  const stderr = plan.log.stderr === "capture" ? new CaptureBuffer(cap) : null;
  const child = _spawn(options);
  // Captured lines are logged as they arrive; the runner masks them [D18].
  const drains: Promise<void>[] = [];
  const inherit = _STD_STREAMS;
  if (child.stdout) {
    const sink = _sink(plan.log.stdout, {
      secrets: options.secrets,
      inherit: inherit.stdout,
      capture: stdout,
      logFile: options.logFile,
      onLine: (line) => log.info(`external_process_stdout step_id=${stepId} line=${line}`),
    });
    drains.push(drainStream(child.stdout, sink).catch(() => undefined));
  }
  if (child.stderr) {
    const sink = _sink(plan.log.stderr, {
      secrets: options.secrets,
      inherit: inherit.stderr,
      capture: stderr,
      logFile: options.logFile,
      onLine: (line) => log.warn(`external_process_stderr step_id=${stepId} line=${line}`),
    });
    drains.push(drainStream(child.stderr, sink).catch(() => undefined));
  }
  // D16: the attempt is evaluated only once the status AND every stream are complete.
  const settled = Promise.all([child.status, ...drains]).then(([status]) => status);
  if (options.onSpawn) {
    try {
      await options.onSpawn(child.pid);
    } catch (err) {
      // Unrecorded, the group could outlive a killed runner unseen: it does not run on.
      await terminateGroup(child, { graceSeconds: plan.killGraceSeconds, settled });
      throw err;
    }
  }
  const timer = _timer(plan.timeoutSeconds);
  const abort = _abortWatch(options.signal);
  const first = await Promise.race([settled, timer.promise, abort.promise]);
  timer.cancel();
  abort.cancel();
  if (first === "timeout" || first === "aborted") {
    await terminateGroup(child, { graceSeconds: plan.killGraceSeconds, settled });
    const settle = _timer(PIPE_SETTLE_SECONDS);
    await Promise.race([settled, settle.promise]);
    settle.cancel();
    return { outcome: { kind: first }, stdout, stderr };
  }
  if (first.signal) return { outcome: { kind: "signal", signal: first.signal }, stdout, stderr };
  return { outcome: { kind: "exit", code: first.code }, stdout, stderr };
}
