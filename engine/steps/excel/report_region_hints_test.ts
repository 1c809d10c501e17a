import assert from "node:assert/strict";
import { reportRegionHints } from "./report_region_hints.ts";

Deno.test("reportRegionHints() flags report_region targets with a default threshold or a disabled guard", () => {
  const raw = {
    targets: [
      { name: "a", source_path: "a.csv", mode: "report_region" },
      { name: "b", source_path: "b.csv", mode: "report_region", rows_threshold: 10, fail_on_threshold: "no" },
      { name: "c", source_path: "c.csv" },
    ],
  };
  assert.deepEqual(reportRegionHints(raw).map((h) => [h.loc, h.code]), [
    ["targets[0]", "report_region_default_threshold"],
    ["targets[1]", "report_region_threshold_guard_disabled"],
  ]);
  assert.deepEqual(reportRegionHints({ ...raw, rows_threshold: 5 }).map((h) => h.loc), ["targets[1]"]);
  assert.deepEqual(reportRegionHints({ targets: "{{steps.x.targets}}" }), []);
});
