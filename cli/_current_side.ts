// `runs diff --against-current FLOW`: today's flow as a diff side — what a run would record if started now
// (file hash, version, pinned plugins, referenced env keys, settings). Step inputs are unknown until it runs.
import { loadSettings } from "../engine/config/mod.ts";
import { SpecError } from "../engine/errors.ts";
import { referencedEnvKeys } from "../engine/flow/mod.ts";
import { envRecord, settingsRecord } from "../engine/history/run_record.ts";
import type { DiffSide } from "../engine/history/run_diff.ts";
import { renderFlowMeta } from "../engine/runner/mod.ts";
import { sha256Hex } from "../plugins/host/wasm_bytes.ts";
import denoJson from "../deno.json" with { type: "json" };
import { prepareFlow } from "../compose/mod.ts";

export async function currentSide(flowPath: string): Promise<{ flowYaml: string; side: DiffSide }> {
  const prepared = await prepareFlow(flowPath, { strictEnv: false, log: (line) => console.error(line) });
  await prepared.close();
  const { report, snapshot, masker } = prepared;
  if (!report.flow) throw new SpecError(report.errors, report.warnings);
  const meta = renderFlowMeta(report.flow.flow, snapshot);
  const settings = loadSettings(snapshot, { overrides: { work_root: meta.workspace.root } });
  return {
    flowYaml: report.flow_yaml,
    side: {
      flowSha256: await sha256Hex(await Deno.readFile(flowPath)),
      version: denoJson.version,
      plugins: prepared.plugins.map((p) => ({
        name: masker.mask(p.name),
        version: masker.mask(p.version),
        sha256: p.sha256,
      })),
      bundle: undefined,
      env: envRecord(referencedEnvKeys(report.flow, report.profiles ?? {}), snapshot, masker),
      settings: settingsRecord(settings, snapshot, masker),
      steps: null,
    },
  };
}
