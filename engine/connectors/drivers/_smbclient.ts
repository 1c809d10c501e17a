// The Debian `smbclient` program as an SMB client (docs/connectors.md "smb:smbclient, smb:pysmb"): one process
// per operation, commands on stdin (a `-c` batch is split on every `;`, even inside quotes), credentials in a
// 0600 authentication file inside a private 0700 directory, removed when the process ends. No credential ever
// reaches the command line, the environment of the child, or an error message.
import { join } from "node:path";
import { AetherflowError, errorMessage, EXIT } from "../../errors.ts";

export interface SmbclientTarget {
  program: string;
  host: string;
  port: number;
  share: string;
  username: string;
  password: string;
  domain: string;
  /** `--client-protection`: `default` lets client and server negotiate. */
  protection: "default" | "sign" | "encrypt" | "off";
  timeoutSeconds: number;
  signal: AbortSignal;
}

export function smbError(message: string, cause?: unknown): AetherflowError {
  return new AetherflowError(message, { code: "connector:smb", exitCode: EXIT.FAILED, cause });
}

/** What an NT_STATUS means, for the messages users read (the status itself is always kept). */
const _STATUS_TEXT: Record<string, string> = {
  NT_STATUS_LOGON_FAILURE: "login failed (wrong user or password)",
  NT_STATUS_ACCOUNT_DISABLED: "login failed (account disabled)",
  NT_STATUS_ACCESS_DENIED: "permission denied",
  NT_STATUS_OBJECT_NAME_NOT_FOUND: "no such file or directory",
  NT_STATUS_OBJECT_PATH_NOT_FOUND: "no such file or directory",
  NT_STATUS_NO_SUCH_FILE: "no such file or directory",
  NT_STATUS_BAD_NETWORK_NAME: "no such share",
  NT_STATUS_CONNECTION_REFUSED: "connection refused",
  NT_STATUS_HOST_UNREACHABLE: "host unreachable",
  NT_STATUS_IO_TIMEOUT: "timed out",
  NT_STATUS_CONNECTION_DISCONNECTED: "connection lost",
  NT_STATUS_CONNECTION_RESET: "connection lost",
  NT_STATUS_END_OF_FILE: "connection lost",
  NT_STATUS_DIRECTORY_NOT_EMPTY: "directory not empty",
  NT_STATUS_FILE_IS_A_DIRECTORY: "is a directory",
  NT_STATUS_NOT_A_DIRECTORY: "not a directory",
  NT_STATUS_OBJECT_NAME_COLLISION: "already exists",
  NT_STATUS_SHARING_VIOLATION: "file in use",
  NT_STATUS_DISK_FULL: "disk full",
};

const _STATUS_REGEXP = /NT_STATUS_[A-Z0-9_]+/;
// Lines smbclient prints on success (banner, progress, listing, free space).
const _BENIGN_REGEXP =
  /^(?:Try "help" to get a list of possible commands\.|putting file .* as .*|getting file .* of size \d+ as .*|\s*\d+ blocks of size \d+\. \d+ blocks available|Can't load .*smb\.conf.*|\s*)$/;
// Local-side failures smbclient reports without an NT_STATUS.
const _LOCAL_FAILURE_REGEXP = /does not exist$|^Error (?:opening|writing|reading)|^Failed to open/i;

export interface SmbclientResult {
  lines: string[];
}

/** The first failure in smbclient's output, `allow` filtering expected ones; null when none. */
export function smbclientFailure(
  lines: readonly string[],
  code: number,
  allow: (line: string) => boolean = () => false,
): string | null {
  for (const line of lines) {
    if (allow(line)) continue;
    const status = _STATUS_REGEXP.exec(line)?.[0];
    if (status) {
      return `${_STATUS_TEXT[status] ?? status.slice(10).toLowerCase().replace(/_/g, " ")} (${status})`;
    }
    if (_LOCAL_FAILURE_REGEXP.test(line.trim())) return line.trim();
  }
  if (code !== 0) {
    const last = lines.filter((l) => !_BENIGN_REGEXP.test(l)).at(-1)?.trim();
    // 141 = SIGPIPE: the server side went away while smbclient was writing to it.
    const why = code === 141
      ? "connection lost (smbclient ended by SIGPIPE)"
      : `smbclient exited with status ${code}`;
    return `${why}${last ? `: ${last}` : ""}`;
  }
  return null;
}

/** A quoted argument of a command line; `"` and line breaks cannot be quoted. */
export function smbQuote(text: string): string {
  if (/["\r\n]/.test(text)) throw smbError(`SMB path cannot contain a double quote or a line break: ${text}`);
  return `"${text}"`;
}

function _authFile(t: SmbclientTarget): string {
  for (const [key, value] of [["username", t.username], ["domain", t.domain]] as const) {
    if (/[\r\n]/.test(value)) throw smbError(`SMB ${key} cannot contain a line break`);
  }
  // smbclient's parser drops leading blanks of a value and cannot carry a line break.
  if (/[\r\n]/.test(t.password) || /^[ \t]/.test(t.password)) {
    throw smbError(
      "SMB password cannot start with a space or tab or contain a line break (smbclient limitation)",
    );
  }
  return `username = ${t.username}\npassword = ${t.password}\ndomain = ${t.domain}\n`;
}

/** Run `commands` in one smbclient session; returns its output lines (stdout then stderr). */
export async function runSmbclient(
  t: SmbclientTarget,
  commands: string[],
): Promise<SmbclientResult & { code: number }> {
  const dir = await Deno.makeTempDir({ prefix: "aetherflow-smb-" });
  try {
    await Deno.chmod(dir, 0o700);
    const auth = join(dir, "auth");
    await Deno.writeTextFile(auth, _authFile(t), { mode: 0o600 });
    const args = ["-A", auth, "-p", String(t.port), "-t", String(Math.max(1, Math.ceil(t.timeoutSeconds)))];
    if (t.protection !== "default") args.push(`--client-protection=${t.protection}`);
    args.push(`//${t.host}/${t.share}`);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(t.program, {
        args,
        clearEnv: true,
        // TZ: `ls` prints local times; UTC makes them epoch seconds without guessing the zone.
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", TZ: "UTC", LC_ALL: "C.UTF-8" },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        signal: t.signal,
      }).spawn();
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw smbError(
          `SMB needs the '${t.program}' program, which is not installed or not on PATH ` +
            "(Debian/Ubuntu: apt-get install smbclient)",
          err,
        );
      }
      throw smbError(`SMB cannot start '${t.program}': ${errorMessage(err)}`, err);
    }
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(`${commands.join("\n")}\n`)).catch(() => {});
    await writer.close().catch(() => {});
    const out = await child.output();
    if (t.signal.aborted) throw smbError("SMB operation interrupted: the run is terminating");
    const dec = new TextDecoder();
    const lines = `${dec.decode(out.stdout)}\n${dec.decode(out.stderr)}`.split("\n").map((l) =>
      l.replace(/\r$/, "")
    );
    return { lines, code: out.code };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

export interface SmbListEntry {
  name: string;
  isDir: boolean;
  size: number;
  /** Epoch seconds (smbclient prints whole seconds). */
  mtime: number | null;
}

const _MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// `  <name padded to 30><attributes, right-aligned in 7> <size>  <Www Mmm dd hh:mm:ss yyyy>`; names may hold
// spaces, so the fixed tail is matched from the end.
const _LS_REGEXP = /^ {2}(.*?) +([A-Z]+) +(\d+) {2}\w{3} (\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\d{4})$/;

/** The entries of an smbclient `ls` (`.` and `..` dropped); times read as UTC (the child runs with TZ=UTC). */
export function parseSmbLs(lines: readonly string[]): SmbListEntry[] {
  const out: SmbListEntry[] = [];
  for (const line of lines) {
    const m = _LS_REGEXP.exec(line);
    if (!m) continue;
    const [, name, attrs, size, mon, day, hh, mm, ss, year] = m;
    if (name === "." || name === ".." || name === "") continue;
    const month = _MONTHS.indexOf(mon!);
    const mtime = month < 0
      ? null
      : Date.UTC(Number(year), month, Number(day!.trim()), Number(hh), Number(mm), Number(ss)) / 1000;
    out.push({ name: name!, isDir: attrs!.includes("D"), size: Number(size), mtime });
  }
  return out;
}
