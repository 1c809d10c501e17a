// System users for sshd and Samba. They are machine-wide and shared by parallel harnesses, so their
// passwords are random per machine, kept in a root-only file, and never change once made.
import { join } from "node:path";
import { run } from "./_process.ts";

/** Root-owned, 0755 all the way up: sshd refuses a ChrootDirectory below a group/world-writable dir (/tmp). */
export const SERVICES_BASE = "/var/lib/aetherflow-test";

export interface UnixUser {
  name: string;
  uid: number;
  gid: number;
  password: string;
}

async function _passwd(name: string): Promise<{ uid: number; gid: number } | undefined> {
  const text = await Deno.readTextFile("/etc/passwd");
  const line = text.split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** `/etc/passwd` and `/etc/shadow` are locked by one writer at a time; parallel harnesses retry. */
async function _retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 20) throw new Error(`${what} failed after ${attempt} attempts`, { cause: e });
      await new Promise((r) => setTimeout(r, 50 * attempt));
    }
  }
}

/** Make sure the users exist (system users, no home, nologin shell) with their per-machine passwords. */
export async function ensureUsers(names: readonly string[]): Promise<Record<string, UnixUser>> {
  await Deno.mkdir(SERVICES_BASE, { recursive: true, mode: 0o755 });
  const lock = await Deno.open(join(SERVICES_BASE, ".users.lock"), { create: true, write: true });
  const out: Record<string, UnixUser> = {};
  try {
    await lock.lock(true); // one harness at a time edits users and the password file
    const file = join(SERVICES_BASE, "passwords.json");
    const passwords = JSON.parse(await Deno.readTextFile(file).catch(() => "{}")) as Record<string, string>;
    let changed = false;
    for (const name of names) {
      let ids = await _passwd(name);
      if (!ids) {
        await _retry(`useradd ${name}`, () =>
          run("useradd", [
            "--system",
            "--user-group",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            name,
          ]));
        ids = await _passwd(name);
        if (!ids) throw new Error(`useradd ${name} left no /etc/passwd entry`);
        delete passwords[name]; // a new user has no password yet
      }
      if (!passwords[name]) {
        passwords[name] = `${name}-${crypto.randomUUID().slice(0, 13)}`;
        await _retry(
          `chpasswd ${name}`,
          () => run("chpasswd", [], { stdin: `${name}:${passwords[name]}\n` }),
        );
        changed = true;
      }
      out[name] = { name, ...ids, password: passwords[name] };
    }
    if (changed) await Deno.writeTextFile(file, JSON.stringify(passwords, null, 2) + "\n", { mode: 0o600 });
  } finally {
    lock.close();
  }
  return out;
}
