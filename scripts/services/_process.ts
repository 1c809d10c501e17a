// Process plumbing for the test services: run a tool to completion, spawn a server in its own process group,
// poll with a deadline, pick a free port, stop a process group and wait until it is gone.
import { dirname } from "node:path";

/** How long a readiness poll may take before the start counts as failed (a loaded 2-core machine is slow). */
export const READY_DEADLINE_MS = 60_000;

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this Unix user (via setpriv, so no PAM session and no extra process). */
  user?: string;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function _asUser(user: string | undefined, cmd: string, args: string[]): [string, string[]] {
  if (!user) return [cmd, args];
  return ["setpriv", [`--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", cmd, ...args]];
}

/** Run a program to completion; throws with its output when the exit code is not ok. */
export async function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const [program, argv] = _asUser(options.user, cmd, args);
  const child = new Deno.Command(program, {
    args: argv,
    cwd: options.cwd,
    env: options.env,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const dec = new TextDecoder();
  const result = { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  if (!(options.okCodes ?? [0]).includes(result.code)) {
    const text = (result.stderr + result.stdout).trim().split("\n").slice(-15).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} exited with ${out.signal ?? result.code}:\n${text}`);
  }
  return result;
}

/** A port that was free a moment ago on 127.0.0.1 (callers retry when a parallel harness took it first). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

/** A long-running server: spawned as the leader of its own process group, output appended to `log`. */
export interface Server {
  readonly name: string;
  readonly pid: number;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22): guards against pid reuse. */
  readonly startTime: string;
  readonly log: string;
  readonly child: Deno.ChildProcess;
  /** Resolves with a description once the process has exited. */
  readonly exited: Promise<string>;
}

export interface SpawnOptions {
  user?: string;
  /** Detach so the server outlives this process (`services start`). */
  persistent?: boolean;
}

/** Spawn `cmd args` via `setsid` (own process group: the terminal's Ctrl-C does not reach it, a group kill
 * reaches its children) with stdout/stderr appended to `log`. The pid is the server's own pid (exec chain). */
export async function spawnServer(
  name: string,
  spec: { cmd: string; args: string[]; log: string },
  options: SpawnOptions = {},
): Promise<Server> {
  const [program, argv] = _asUser(options.user, spec.cmd, spec.args);
  await Deno.mkdir(dirname(spec.log), { recursive: true });
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", 'log="$1"; shift; exec "$@" >>"$log" 2>&1', "sh", spec.log, program, ...argv],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  if (options.persistent) child.unref();
  const exited = child.status.then((s) => s.signal ? `killed by ${s.signal}` : `exited with code ${s.code}`);
  const startTime = await processStartTime(child.pid) ?? "";
  const server = { name, pid: child.pid, startTime, log: spec.log, child, exited };
  _spawned.push(server);
  return server;
}

const _spawned: Server[] = [];

/** Every server spawned by this process, including ones whose start failed: the harness stops them all. */
export function spawnedServers(): Server[] {
  return [..._spawned];
}

/** /proc/<pid>/stat field 22, or undefined when the process is gone (zombies count as gone). */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** The last lines of a log file, for error messages. */
export async function logTail(path: string, lines = 20): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

export class ServiceStartError extends Error {
  /** The server exited before it was ready (typically: a parallel harness took the port first). */
  readonly exitedEarly: boolean;
  constructor(readonly service: string, message: string, options?: ErrorOptions & { exitedEarly?: boolean }) {
    super(`${service}: ${message}`, options);
    this.exitedEarly = options?.exitedEarly ?? false;
    this.name = "ServiceStartError";
  }
}

/** Poll `check` until it returns true; fail when the server exits first or the deadline passes. */
export async function waitReady(
  server: Server,
  check: () => Promise<boolean>,
  deadlineMs = READY_DEADLINE_MS,
): Promise<void> {
  const t0 = Date.now();
  let exited: string | undefined;
  server.exited.then((how) => exited = how);
  for (let delay = 20;; delay = Math.min(delay * 2, 200)) {
    if (exited) {
      const tail = await logTail(server.log);
      throw new ServiceStartError(
        server.name,
        `server ${exited} before it was ready; log ${server.log}:\n${tail}`,
        {
          exitedEarly: true,
        },
      );
    }
    if (await check().catch(() => false)) return;
    if (Date.now() - t0 > deadlineMs) {
      throw new ServiceStartError(
        server.name,
        `not ready after ${deadlineMs} ms; log ${server.log}:\n${await logTail(server.log)}`,
      );
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** True when a TCP connection to 127.0.0.1:port succeeds (and, if given, the greeting starts with `banner`). */
export async function tcpReady(port: number, banner?: string): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    if (!banner) return true;
    const buf = new Uint8Array(64);
    const timer = setTimeout(() => conn.close(), 5_000);
    const n = await conn.read(buf).finally(() => clearTimeout(timer));
    return n !== null && new TextDecoder().decode(buf.subarray(0, n)).startsWith(banner);
  } finally {
    try {
      conn.close();
    } catch { /* closed by the timer */ }
  }
}

/** A process this harness started, as recorded in env.json so `services stop` can find it again. */
export interface ProcessRef {
  service: string;
  pid: number;
  startTime: string;
}

/** Processes descended from `pid` (sshd sessions call setsid, so the process group alone misses them). */
async function _descendants(pid: number): Promise<ProcessRef[]> {
  const parents = new Map<number, number[]>();
  for await (const e of Deno.readDir("/proc")) {
    const child = Number(e.name);
    if (!Number.isInteger(child)) continue;
    const stat = await Deno.readTextFile(`/proc/${child}/stat`).catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (ppid) parents.set(ppid, [...parents.get(ppid) ?? [], child]);
  }
  const out: ProcessRef[] = [];
  const queue = [...parents.get(pid) ?? []];
  while (queue.length > 0) {
    const p = queue.shift()!;
    const startTime = await processStartTime(p);
    if (startTime) out.push({ service: "child", pid: p, startTime });
    queue.push(...parents.get(p) ?? []);
  }
  return out;
}

function _kill(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch { /* already gone */ }
}

/** Signal a server, escalate to SIGKILL after `graceMs`, wait until it is gone, then SIGKILL whatever is left
 * of its process group and descendants. Does nothing when the pid now belongs to another process. */
export async function stopProcess(ref: ProcessRef, signal: Deno.Signal, graceMs = 15_000): Promise<void> {
  const alive = async (r: ProcessRef) => (await processStartTime(r.pid)) === r.startTime;
  if (!await alive(ref)) return;
  const descendants = await _descendants(ref.pid);
  _kill(ref.pid, signal);
  const t0 = Date.now();
  let killed = false;
  while (await alive(ref)) {
    if (!killed && Date.now() - t0 > graceMs) {
      _kill(-ref.pid, "SIGKILL");
      killed = true;
    }
    if (Date.now() - t0 > graceMs + 10_000) throw new Error(`${ref.service} (pid ${ref.pid}) did not exit`);
    await new Promise((r) => setTimeout(r, 25));
  }
  _kill(-ref.pid, "SIGKILL");
  for (const d of descendants) if (await alive(d)) _kill(d.pid, "SIGKILL");
  // SIGKILL is asynchronous: wait until nothing of it runs (zombies awaiting init's reaping count as gone).
  for (const t1 = Date.now(); Date.now() - t1 < 10_000;) {
    const left = [
      ...await _groupMembers(ref.pid),
      ...(await Promise.all(descendants.map(alive))).filter(Boolean),
    ];
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${ref.service}: processes of group ${ref.pid} survived SIGKILL`);
}

/** Live (non-zombie) processes whose process group is `pgid`. */
async function _groupMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid)) continue;
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) === pgid && f[0] !== "Z" && f[0] !== "X") out.push(pid);
  }
  return out;
}

/** Start on a fresh free port; when the server dies early (port taken by a parallel harness), try again. */
export async function withFreePort<T>(start: (port: number) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1;; i++) {
    try {
      return await start(freePort());
    } catch (e) {
      if (!(e instanceof ServiceStartError && e.exitedEarly) || i >= attempts) throw e;
    }
  }
}
