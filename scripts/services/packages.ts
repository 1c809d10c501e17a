// Debian packages the test services need, installed with apt-get when running as root and missing.
// `apt-get update` runs only when an install from the current package lists fails (fresh images ship none),
// so one harness run updates at most once. A file lock serialises parallel harnesses on one machine.
import { run } from "./_process.ts";

/** Package → the program whose presence proves it is usable. */
export const SERVICE_PACKAGES: Readonly<Record<string, string>> = {
  "postgresql": "/usr/bin/psql",
  "mariadb-server": "/usr/sbin/mariadbd",
  "openssh-server": "/usr/sbin/sshd",
  "samba": "/usr/sbin/smbd",
  "smbclient": "/usr/bin/smbclient",
  // systemd-analyze checks the generated timer units (tests skip without it).
  "systemd": "/usr/bin/systemd-analyze",
  // Headless Chromium renders `runs show --html` pages in tests/runs_history_test.ts (skipped without it).
  "chromium": "/usr/bin/chromium",
  // openpyxl reads the Excel steps' output with another library than the one that wrote it (tests skip
  // without it). LibreOffice would too, but it is a ~300 MB install: its checks run only where it is present.
  "python3-openpyxl": "/usr/lib/python3/dist-packages/openpyxl/__init__.py",
};

const LOCK_FILE = "/var/lock/aetherflow-test-packages.lock";

function _exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function missingPackages(): string[] {
  return Object.entries(SERVICE_PACKAGES).filter(([, probe]) => !_exists(probe)).map(([pkg]) => pkg);
}

export interface EnsureResult {
  installed: string[];
  /** Packages still missing, with the reason (not root, apt-get failed). */
  missing: string[];
  reason?: string;
  ms: number;
}

/** Install what is missing (root only). Never throws: a failure leaves the packages listed as missing. */
export async function ensurePackages(log: (line: string) => void): Promise<EnsureResult> {
  const t0 = Date.now();
  let missing = missingPackages();
  if (missing.length === 0) return { installed: [], missing, ms: 0 };
  if (Deno.uid() !== 0) {
    return {
      installed: [],
      missing,
      reason: "not root, so apt-get cannot install them",
      ms: Date.now() - t0,
    };
  }
  const lock = await Deno.open(LOCK_FILE, { create: true, write: true });
  try {
    await lock.lock(true);
    missing = missingPackages(); // a parallel harness may have installed them meanwhile
    if (missing.length === 0) return { installed: [], missing, ms: Date.now() - t0 };
    log(`installing Debian packages: ${missing.join(" ")}`);
    const env = { ...Deno.env.toObject(), DEBIAN_FRONTEND: "noninteractive" };
    const install = () =>
      run("apt-get", [
        "-o",
        "DPkg::Lock::Timeout=300",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        ...missing,
      ], { env, timeoutMs: 600_000 });
    try {
      await install();
    } catch {
      await run("apt-get", ["-o", "DPkg::Lock::Timeout=300", "update", "-qq"], { env, timeoutMs: 300_000 });
      await install();
    }
    const still = missingPackages();
    return {
      installed: missing.filter((p) => !still.includes(p)),
      missing: still,
      reason: still.length ? "apt-get install did not provide them" : undefined,
      ms: Date.now() - t0,
    };
  } catch (e) {
    const still = missingPackages();
    return {
      installed: [],
      missing: still,
      reason: `apt-get failed: ${(e as Error).message}`,
      ms: Date.now() - t0,
    };
  } finally {
    lock.close();
  }
}
