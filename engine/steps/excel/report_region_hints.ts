// Doctor hints of `excel_fill_from_file` report_region targets (docs/cli.md "doctor"), the step's `hints`.
import { asBool, isMap } from "../../inputs/mod.ts";
import type { StepHint } from "../types.ts";

/** A hint per report_region target with the default rows_threshold or a disabled threshold guard. */
export function reportRegionHints(raw: Record<string, unknown>): StepHint[] {
  const out: StepHint[] = [];
  if (!Array.isArray(raw.targets)) return out;
  raw.targets.forEach((target: unknown, k: number) => {
    if (!isMap(target) || String(target.mode ?? "").trim() !== "report_region") return;
    const loc = `targets[${k}]`;
    const name = typeof target.name === "string" ? target.name : String(k);
    if (target.rows_threshold === undefined && raw.rows_threshold === undefined) {
      out.push({
        loc,
        code: "report_region_default_threshold",
        msg:
          `target=${name}: report_region uses the default rows_threshold=50000; set rows_threshold explicitly`,
      });
    }
    if (asBool(target.fail_on_threshold) === false) {
      out.push({
        loc,
        code: "report_region_threshold_guard_disabled",
        msg:
          `target=${name}: fail_on_threshold is false, so row_count is never checked against rows_threshold`,
      });
    }
  });
  return out;
}
