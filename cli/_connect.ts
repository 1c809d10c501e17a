// `doctor --connect` (docs/architecture.md "Connection probes"): build each resource of the flow the way `run`
// does, one at a time (one that cannot be built fails alone), and probe it within its timeout. `schedule notify`
// opens its mail resource the same way.
import { buildResources, loadSettings } from "../engine/config/mod.ts";
import {
  type AccessorResource,
  ConnectorAccessor,
  probeResource,
  type ProbeResult,
} from "../engine/connectors/mod.ts";
import { errorMessage } from "../engine/errors.ts";
import type { PreparedFlow } from "../compose/mod.ts";

/** How long closing a probed connector may take before the probe moves on (a hung socket is left behind). */
const _CLOSE_GRACE_MS = 2000;

/** One resource of the flow, built the way `run` builds it, behind its own accessor. Throws when it cannot be built. */
export async function openFlowResource(
  prepared: PreparedFlow,
  name: string,
  warn: (msg: string) => void,
): Promise<{ resource: AccessorResource; accessor: ConnectorAccessor; close(): Promise<void> }> {
  const { report, snapshot, masker } = prepared;
  const spec = report.flow?.resources?.[name];
  if (!spec) throw new Error(`no resource ${name}`);
  const built = await buildResources({
    flowResources: { [name]: spec },
    profiles: report.profiles ?? {},
    snapshot,
    secrets: prepared.secrets,
    masker,
    mode: prepared.mode,
    archiveAllowList: prepared.bundle?.archiveAllowList ?? [],
    onWarning: warn,
  });
  const accessor = new ConnectorAccessor({
    registry: prepared.connectors,
    resources: built,
    settings: { ...loadSettings(snapshot), connector_cache_default: "run", connector_cache_disabled: false },
  });
  const close = async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      accessor.closeAll().catch(() => []),
      new Promise((done) => (timer = setTimeout(done, _CLOSE_GRACE_MS))),
    ]);
    clearTimeout(timer);
  };
  return { resource: built[name]!, accessor, close };
}

export async function probeFlowResources(
  prepared: PreparedFlow,
  options: { timeoutMs: number; warn: (msg: string) => void },
): Promise<ProbeResult[]> {
  const { report, masker } = prepared;
  const out: ProbeResult[] = [];
  for (const [name, spec] of Object.entries(report.flow?.resources ?? {})) {
    let opened: Awaited<ReturnType<typeof openFlowResource>>;
    try {
      opened = await openFlowResource(prepared, name, options.warn);
    } catch (err) {
      out.push({
        resource: name,
        kind: spec.kind,
        driver: spec.driver,
        status: "FAIL",
        detail: masker.mask(`building the resource: ${errorMessage(err)}`),
        duration_ms: 0,
      });
      continue;
    }
    const { resource, accessor } = opened;
    const methods = prepared.connectors.has(resource.kind, resource.driver)
      ? prepared.connectors.get(resource.kind, resource.driver).methods
      : undefined;
    out.push(
      await probeResource(accessor, name, resource, {
        timeoutMs: options.timeoutMs,
        mask: (s) => masker.mask(s),
        methods,
      }),
    );
    await opened.close();
  }
  return out;
}
