/**
 * Which paths a generated unit must be able to write, and how (docs/scheduling.md "Paths and the sandbox").
 * The units run with `ProtectSystem=strict` (everything read-only), `PrivateTmp=yes` (a private, throw-away
 * /tmp) and, for system units, `ProtectHome=yes` (no /home, /root, /run/user). A flow's state DB and workspace
 * must therefore live where the unit can write and where they survive the run:
 *
 * - under `/var/lib/<name>`, `/var/cache/<name>` or `/var/log/<name>`: `StateDirectory=`, `CacheDirectory=` or
 *   `LogsDirectory=` (systemd creates them, owned by the unit user; works with `DynamicUser=yes`);
 * - anywhere else outside the hidden trees: `ReadWritePaths=` (the directory must exist, owned by the unit user);
 * - under /tmp or /var/tmp, or (system units) under /home, /root or /run/user: refused with the reason.
 *
 * Pure: the needs are computed by the caller (flow files, rendered state paths).
 * @module
 */
import { dirname, isAbsolute, normalize, relative } from "node:path";

/** A path the unit reads (`ro`) or writes (`rw`), and why (shown in errors). */
export interface PathNeed {
  readonly path: string;
  readonly access: "ro" | "rw";
  /** `state DB of item nightly`, `flow file of item nightly`… */
  readonly why: string;
}

export interface PathPlan {
  /** `StateDirectory=` names (relative to /var/lib). */
  readonly stateDirectories: readonly string[];
  readonly cacheDirectories: readonly string[];
  readonly logsDirectories: readonly string[];
  /** `ReadWritePaths=` (absolute; must exist before the unit starts). */
  readonly readWritePaths: readonly string[];
  /** Problems that make the unit unable to run the item (one line each). */
  readonly problems: readonly string[];
  /** Every writable path is a systemd-managed directory, so `DynamicUser=yes` can own them. */
  readonly dynamicUserOk: boolean;
}

const _EXEC_DIRS = [
  ["/var/lib", "stateDirectories"],
  ["/var/cache", "cacheDirectories"],
  ["/var/log", "logsDirectories"],
] as const;

/**
 * Plan the sandbox paths of one unit.
 * @param options.userUnits user-manager units (`--user`): no `ProtectHome=`, no `/var/lib` directories
 */
export function planUnitPaths(needs: readonly PathNeed[], options: { userUnits?: boolean } = {}): PathPlan {
  const problems: string[] = [];
  const exec: Record<"stateDirectories" | "cacheDirectories" | "logsDirectories", Set<string>> = {
    stateDirectories: new Set(),
    cacheDirectories: new Set(),
    logsDirectories: new Set(),
  };
  const rw: string[] = [];
  for (const need of needs) {
    const path = normalize(need.path);
    if (!isAbsolute(path)) {
      problems.push(`${need.why} ${need.path} is not an absolute path`);
      continue;
    }
    const hidden = _hiddenBy(path, options.userUnits === true);
    if (hidden) {
      problems.push(`${need.why} ${path} ${hidden}`);
      continue;
    }
    if (need.access === "ro") continue;
    if (_under(path, "/proc") || _under(path, "/sys") || _under(path, "/dev")) {
      problems.push(`${need.why} ${path} cannot be written from the unit's sandbox`);
      continue;
    }
    const managed = options.userUnits ? undefined : _EXEC_DIRS.find(([root]) => _strictlyUnder(path, root));
    if (managed) {
      // The first component: systemd creates and chowns it; deeper levels are created by the run itself.
      exec[managed[1]].add(relative(managed[0], path).split("/")[0] as string);
    } else {
      rw.push(path);
    }
  }
  const readWritePaths = _outermost(rw);
  return {
    stateDirectories: [...exec.stateDirectories].sort(),
    cacheDirectories: [...exec.cacheDirectories].sort(),
    logsDirectories: [...exec.logsDirectories].sort(),
    readWritePaths,
    problems,
    dynamicUserOk: readWritePaths.length === 0,
  };
}

/** The directory a file need stands for (SQLite writes its journal files beside the DB). */
export function parentDir(path: string): string {
  return dirname(normalize(path));
}

function _hiddenBy(path: string, userUnits: boolean): string | undefined {
  for (const tmp of ["/tmp", "/var/tmp"]) {
    if (_under(path, tmp)) {
      return `is under ${tmp}: the unit runs with PrivateTmp=yes, so it gets an empty ${tmp} of its own that ` +
        "is deleted when the run ends (state and resume would be lost); use a path under /var/lib/aetherflow";
    }
  }
  if (userUnits) return undefined;
  for (const home of ["/home", "/root", "/run/user"]) {
    if (_under(path, home)) {
      return `is under ${home}, which system units cannot see (ProtectHome=yes); use a path under ` +
        "/var/lib/aetherflow or /srv, or generate user units (--user)";
    }
  }
  return undefined;
}

function _under(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function _strictlyUnder(path: string, root: string): boolean {
  return path.startsWith(`${root}/`);
}

/** Drop paths inside another listed path; sorted, distinct. */
function _outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  return sorted.filter((p) => !sorted.some((q) => q !== p && _strictlyUnder(p, q)));
}
