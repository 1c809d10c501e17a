// Test helper: start a generated .service the way systemd would, without systemd (PID 1 here is not systemd).
// What is reproduced from the unit file: the account (User=/DynamicUser= -> a fixed unused uid/gid), the
// environment (nothing inherited; PATH, HOME, USER, Environment=, EnvironmentFile=, STATE_DIRECTORY…,
// TRIGGER_UNIT for a timer start), WorkingDirectory=, UMask=, NoNewPrivileges=, an empty capability set, and
// the file-system view in a private mount namespace: ProtectSystem=strict (every mount read-only), PrivateTmp=,
// ProtectHome=, and write access only to ReadWritePaths= and the State/Cache/Logs/RuntimeDirectory= directories
// (created and chowned first, as systemd does). Not reproduced: seccomp, cgroups, network restrictions.
import { join } from "node:path";
import { parseEnvironmentFile } from "../engine/scheduler/mod.ts";

export type UnitSections = Record<string, Record<string, string[]>>;

/** `[Section]` -> key -> values (a key may repeat); comments and blank lines skipped. */
export function parseUnitFile(text: string): UnitSections {
  const out: UnitSections = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      section = head[1] as string;
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    const key = line.slice(0, eq);
    ((out[section] ??= {})[key] ??= []).push(line.slice(eq + 1));
  }
  return out;
}

/** Split a command line or list setting the way systemd does: quotes, `\` escapes, then `%%`, `$$`, `%t`. */
export function unitWords(value: string, specifiers: Record<string, string> = {}): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let quote = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (quote) {
      if (ch === "\\") cur += value[++i] ?? "";
      else if (ch === quote) quote = "";
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === " ") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch === "\\" ? value[++i] ?? "" : ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words.map((w) =>
    w.replace(/%(.)/g, (_, c: string) => (c === "%" ? "%" : specifiers[c] ?? `%${c}`)).replaceAll("$$", "$")
  );
}

export interface SandboxOptions {
  /** The uid/gid the unit's User= / DynamicUser= stands for. */
  uid: number;
  gid: number;
  /** Directory standing in for /run (`%t`). */
  runtimeRoot: string;
  /** Set `TRIGGER_UNIT` (a timer start); omit for a manual `systemctl start`. */
  triggerUnit?: string;
}

export interface SandboxResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Why the sandbox cannot be set up here (not root, no unshare/setpriv, no mount namespaces), or null. */
export const SANDBOX_SKIP_REASON: string | null = _probe();

function _probe(): string | null {
  if (Deno.uid() !== 0) return "needs root (to switch to the unit's user and mount its file-system view)";
  try {
    const out = new Deno.Command("unshare", {
      args: [
        "-m",
        "--propagation",
        "private",
        "setpriv",
        "--reuid",
        "61234",
        "--regid",
        "61234",
        "--clear-groups",
        "--no-new-privs",
        Deno.execPath(),
        "--version",
      ],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.code === 0 ? null : "unshare/setpriv cannot run deno as another user here";
  } catch {
    return "unshare or setpriv (util-linux) not found";
  }
}

/** Run the `ExecStart=` of `serviceText` as systemd would start it (see the module comment). */
export async function runUnitSandboxed(serviceText: string, options: SandboxOptions): Promise<SandboxResult> {
  const svc = parseUnitFile(serviceText).Service ?? {};
  const one = (key: string) => svc[key]?.at(-1);
  const list = (key: string) => (svc[key] ?? []).flatMap((v) => unitWords(v));
  const specifiers = { t: options.runtimeRoot };
  const name = one("User") ?? "root";
  const env: Record<string, string> = {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: "/",
    USER: name,
    LOGNAME: name,
    INVOCATION_ID: crypto.randomUUID().replaceAll("-", ""),
    ...(options.triggerUnit ? { TRIGGER_UNIT: options.triggerUnit } : {}),
  };
  for (const file of svc.EnvironmentFile ?? []) {
    Object.assign(env, parseEnvironmentFile(await Deno.readTextFile(file.replace(/^-/, ""))));
  }
  for (const pair of list("Environment")) {
    const eq = pair.indexOf("=");
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const writable: string[] = [];
  const managed: [string, string, string][] = [
    ["StateDirectory", "/var/lib", "STATE_DIRECTORY"],
    ["CacheDirectory", "/var/cache", "CACHE_DIRECTORY"],
    ["LogsDirectory", "/var/log", "LOGS_DIRECTORY"],
    ["RuntimeDirectory", options.runtimeRoot, "RUNTIME_DIRECTORY"],
  ];
  for (const [key, root, envName] of managed) {
    const dirs = list(key).map((d) => join(root, d));
    const mode = parseInt(one(`${key}Mode`) ?? "0755", 8);
    for (const dir of dirs) {
      await Deno.mkdir(dir, { recursive: true });
      await _chownTree(dir, options.uid, options.gid);
      await Deno.chmod(dir, mode);
      writable.push(dir);
    }
    if (dirs.length > 0) env[envName] = dirs.join(":");
  }
  writable.push(...list("ReadWritePaths").map((p) => p.replace(/^[-+]/, "")));
  const argv = unitWords(one("ExecStart") as string, specifiers);
  const umask = one("UMask") ?? "0022";
  const mounts = [
    // ProtectSystem=strict: every mount read-only (the kernel's own trees are handled by Protect*= in systemd).
    `for m in $(awk '{print $2}' /proc/self/mounts | grep -v '^/proc' | grep -v '^/sys' | grep -v '^/dev'); do ` +
    `mount -o remount,bind,ro "$m" 2>/dev/null || true; done`,
    ...(one("PrivateTmp") === "yes"
      ? ["mount -t tmpfs -o mode=1777 tmpfs /tmp", "mount -t tmpfs -o mode=1777 tmpfs /var/tmp"]
      : []),
    ...(one("ProtectHome") === "yes"
      ? ["for h in /home /root /run/user; do [ -d $h ] && mount -t tmpfs -o ro,mode=755 tmpfs $h; done; true"]
      : []),
    ...writable.map((p) => `mount --bind ${_sh(p)} ${_sh(p)} && mount -o remount,bind,rw ${_sh(p)}`),
  ];
  const priv = [
    "setpriv",
    "--reuid",
    String(options.uid),
    "--regid",
    String(options.gid),
    "--clear-groups",
    ...(one("NoNewPrivileges") === "yes" ? ["--no-new-privs"] : []),
    ...(one("CapabilityBoundingSet") === "" ? ["--bounding-set", "-all", "--inh-caps", "-all"] : []),
    "env",
    "-i",
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    "sh",
    "-c",
    `umask ${umask}; cd "$0" && exec "$@"`,
    one("WorkingDirectory") ?? "/",
    ...argv,
  ];
  const script = `set -e; ${mounts.join("; ")}; exec ${priv.map(_sh).join(" ")}`;
  const out = await new Deno.Command("unshare", {
    args: ["-m", "--propagation", "private", "sh", "-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function _chownTree(path: string, uid: number, gid: number): Promise<void> {
  await Deno.chown(path, uid, gid);
  const st = await Deno.lstat(path);
  if (!st.isDirectory) return;
  for await (const e of Deno.readDir(path)) await _chownTree(join(path, e.name), uid, gid);
}

function _sh(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
