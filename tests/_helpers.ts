// Shared test helpers: run the real CLI as a child process, make temp dirs, write F0 flows, read state rows.
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath as fromFileUrl } from "node:url";
export const ROOT: string = fromFileUrl(new URL("../", import.meta.url));
export const MAIN: string = fromFileUrl(new URL("../cli/main.ts", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The same output as bytes (for output that need not be UTF-8). */
  raw: { stdout: Uint8Array; stderr: Uint8Array };
}

export interface RunCliOptions {
  /** Extra env vars (merged over a minimal clean env unless `inheritEnv`). */
  env?: Record<string, string>;
  cwd?: string;
  inheritEnv?: boolean;
  stdin?: string;
}

/** Run `aetherflow <args>` through `deno run` exactly as a user would. */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const baseEnv: Record<string, string> = options.inheritEnv ? Deno.env.toObject() : {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache/deno`,
    NO_COLOR: "1",
  };
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", "--v8-flags=--wasm-max-mem-pages=4096", MAIN, ...args],
    cwd: options.cwd ?? ROOT,
    env: { ...baseEnv, ...options.env },
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  if (options.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(options.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    raw: { stdout: out.stdout, stderr: out.stderr },
  };
}

/** A temp dir removed at the end of the scope: `await using dir = await tempDir();`. */
export async function tempDir(prefix = "af-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

export interface DemoFlowOptions {
  /** The `resources:` block's body (indented entries), placed before `jobs:`. */
  resources?: string;
}

/** F0's flow block (`id: demo`, workspace `dir/ws`, state `dir/state.sqlite`), then `resources` and `jobs`. */
export function demoFlow(dir: string, jobs: string, options: DemoFlowOptions = {}): string {
  return [
    "flow:",
    "  id: demo",
    `  workspace: {root: ${dir}/ws, cleanup_policy: never}`,
    `  state: {path: ${dir}/state.sqlite}`,
    ...(options.resources ? ["resources:", options.resources.trimEnd()] : []),
    "jobs:",
    jobs.trimEnd(),
    "",
  ].join("\n");
}

/** Write `demoFlow(dir, jobs, options)` to `dir/f.yaml`; returns its path. */
export async function writeDemoFlow(
  dir: string,
  jobs: string,
  options: DemoFlowOptions = {},
): Promise<string> {
  const path = join(dir, "f.yaml");
  await Deno.writeTextFile(path, demoFlow(dir, jobs, options));
  return path;
}

/** Rows of `sql` against the state DB at `path`, opened read-only. */
export function stateRows(path: string, sql: string): Record<string, unknown>[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all().map((r) => ({ ...r }));
  } finally {
    db.close();
  }
}

/**
 * A temp dir outside /tmp and /home, where generated systemd units may keep state (they refuse paths their
 * sandbox hides): under /var/lib (or `root`), so only as root. Null when it cannot be created (the caller skips).
 */
export async function serverDir(
  prefix = "af-srv-",
  root = "/var/lib",
): Promise<({ path: string } & AsyncDisposable) | null> {
  let path: string;
  try {
    await Deno.mkdir(root, { recursive: true });
    path = await Deno.makeTempDir({ dir: root, prefix });
    await Deno.chmod(path, 0o755);
  } catch {
    return null;
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Why tests that need `serverDir()` are skipped here, or null. */
export const SERVER_DIR_SKIP_REASON: string | null = Deno.uid() === 0
  ? null
  : "needs root: generated units keep state under /var/lib (paths under /tmp and /home are refused)";

/** Copy the tree `src` into `dst` (created). */
export async function copyDir(src: string, dst: string): Promise<void> {
  await Deno.mkdir(dst, { recursive: true });
  for await (const e of Deno.readDir(src)) {
    if (e.isDirectory) await copyDir(join(src, e.name), join(dst, e.name));
    else await Deno.copyFile(join(src, e.name), join(dst, e.name));
  }
}

/**
 * Poll `probe` every 20 ms until it returns something other than `undefined`, and return that. Fails after
 * `timeoutMs` with `what` in the message: a safety net against a hung test on a loaded machine, never a timing
 * assertion (keep it generous).
 */
export async function waitUntil<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text of `path` once it ends with a newline (a line written by a child), trimmed. */
export function waitForLine(path: string, timeoutMs?: number): Promise<string> {
  return waitUntil(
    async () => {
      const text = await Deno.readTextFile(path).catch(() => "");
      return text.endsWith("\n") ? text.trim() : undefined;
    },
    `a line in ${path}`,
    timeoutMs,
  );
}
