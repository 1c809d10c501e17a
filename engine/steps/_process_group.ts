// Child processes in their own process group [D16]. The child is spawned through util-linux `setsid`, which (the
// Deno child not being a group leader) calls setsid() and execs the command in place: the child's pid is then its
// process-group id, and `kill(-pid)` reaches every descendant.
// Not `Deno.Command({detached: true})` nor node's `spawn(…, {detached: true})`: both call setsid() in a pre-exec
// hook, which makes Rust fork() the whole engine instead of posix_spawn (vfork); measured with Deno 2.9.6, 200 steps
// of `true` took 426 ms that way vs 318 ms through setsid (best of 8). The setsid exec costs ~0.5 ms per spawn.
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { StepError } from "../errors.ts";

const SETSID_CANDIDATES = ["/usr/bin/setsid", "/bin/setsid"] as const;
/** glibc's execvp search path when PATH is unset (the child env may be empty: `inherit_env: false`). */
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

export type StdioMode = "inherit" | "piped" | "null";

export interface GroupChild {
  /** The child's pid, which is also its process-group id. */
  readonly pid: number;
  readonly status: Promise<Deno.CommandStatus>;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
}

export interface SpawnOptions {
  cwd?: string;
  /** The complete child env (the parent env is cleared: D16 bases it on the snapshot, not the live env). */
  env: Record<string, string>;
  stdout: StdioMode;
  stderr: StdioMode;
}

let _setsidPath: string | undefined;
/** PATH-search hits of `canExecute`, keyed by program, PATH and cwd (bounded: flows name few programs). */
const _hits = new Map<string, string>();
const MAX_CACHED_HITS = 256;

function _findSetsid(): string {
  if (_setsidPath) return _setsidPath;
  for (const candidate of SETSID_CANDIDATES) {
    try {
      if (Deno.statSync(candidate).isFile) return (_setsidPath = candidate);
    } catch {
      // try the next location
    }
  }
  throw new StepError(
    "external.process needs setsid (util-linux) to run children in their own process group",
  );
}

function _isExecutableFile(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Whether `program` can be started with this PATH/cwd, checked before spawning so that a typo fails as a spawn
 * error (not retried) instead of setsid's exit code 127.
 */
export function canExecute(program: string, options: { path: string | undefined; cwd: string }): boolean {
  if (program.includes("/")) {
    return _isExecutableFile(isAbsolute(program) ? program : resolve(options.cwd, program));
  }
  const path = options.path ?? DEFAULT_PATH;
  const key = `${program}\0${path}\0${options.cwd}`;
  // A hit found earlier that still checks out answers `true` with one stat, skipping the misses before it (each
  // miss throws NotFound). Same answer as a full search: any executable candidate makes the program startable.
  const witness = _hits.get(key);
  if (witness !== undefined && _isExecutableFile(witness)) return true;
  _hits.delete(key);
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir === "" ? options.cwd : resolve(options.cwd, dir), program);
    if (_isExecutableFile(candidate)) {
      if (_hits.size >= MAX_CACHED_HITS) _hits.clear();
      _hits.set(key, candidate);
      return true;
    }
  }
  return false;
}

/** Spawn `argv` as the leader of a new process group (and session). stdin is /dev/null: steps are unattended. */
export function spawnInGroup(argv: readonly string[], options: SpawnOptions): GroupChild {
  // `--wait` keeps the exit status right in the (unexpected) case where setsid has to fork.
  const child = new Deno.Command(_findSetsid(), {
    args: ["--wait", ...argv],
    cwd: options.cwd,
    env: options.env,
    clearEnv: true,
    stdin: "null",
    stdout: options.stdout,
    stderr: options.stderr,
  }).spawn();
  return {
    pid: child.pid,
    status: child.status,
    stdout: options.stdout === "piped" ? child.stdout : null,
    stderr: options.stderr === "piped" ? child.stderr : null,
  };
}

/** Signal the whole group; fall back to the pid alone if the group is gone. Never throws. */
export function signalGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    try {
      Deno.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function _sleep(seconds: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((done) => (timer = setTimeout(done, Math.max(0, seconds * 1000))));
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * D16 termination: SIGTERM to the group, wait up to `graceSeconds` for `settled` (the child's status and its
 * output pipes, so descendants holding a pipe count too), then SIGKILL to the group, and wait for the exit.
 */
export async function terminateGroup(
  child: Pick<GroupChild, "pid" | "status">,
  options: { graceSeconds: number; settled?: Promise<unknown> },
): Promise<void> {
  signalGroup(child.pid, "SIGTERM");
  const grace = _sleep(options.graceSeconds);
  await Promise.race([options.settled ?? child.status, grace.promise]);
  grace.cancel();
  // Unconditional: a descendant may have ignored SIGTERM or outlived the leader without holding a pipe.
  signalGroup(child.pid, "SIGKILL");
  await child.status;
}
