// What a fire runs (B.4) [D13]: `run [--flow-yaml F] [--flow-job J] [--bundle-manifest M] [--allow-stale-bundle]
// --run-id <item_id>-<YYYYMMDDTHHMMZ>`. The run id comes from the SCHEDULED slot, so a re-fire of the same slot
// resumes that run (D4) instead of starting a duplicate.
import type { ScheduleItem } from "./parse_scheduler_yaml.ts";

/** `<item_id>-<scheduled time, UTC, YYYYMMDDTHHMMZ>` [D13]. */
export function runIdFor(itemId: string, slot: number): string {
  const iso = new Date(slot).toISOString(); // 2026-03-01T12:05:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${
    iso.slice(14, 16)
  }Z`;
  return `${itemId}-${stamp}`;
}

/** The slot (epoch ms) a slot run id names, or null when `runId` is not `<itemId>-<YYYYMMDDTHHMMZ>`. */
export function slotOfRunId(itemId: string, runId: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z$/.exec(runId.slice(itemId.length + 1));
  if (!runId.startsWith(`${itemId}-`) || !m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const slot = Date.UTC(y, mo - 1, d, h, mi);
  return runIdFor(itemId, slot) === runId ? slot : null;
}

/**
 * The `run …` arguments of an item, without `--run-id`. `resolvePath` maps the item's paths (relative to the
 * CWD, or to the YAML's directory with `paths_relative_to: file`; absolute for systemd units).
 */
export function runArgs(item: ScheduleItem, resolvePath: (p: string) => string = (p) => p): string[] {
  const args = ["run"];
  if (item.flowYaml !== undefined) args.push("--flow-yaml", resolvePath(item.flowYaml));
  if (item.flowJob !== undefined) args.push("--flow-job", item.flowJob);
  if (item.bundleManifest !== undefined) args.push("--bundle-manifest", resolvePath(item.bundleManifest));
  if (item.allowStaleBundle) args.push("--allow-stale-bundle");
  return args;
}
