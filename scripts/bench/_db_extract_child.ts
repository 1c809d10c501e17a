// Child of scripts/bench/db.ts: runs one db_extract_stream in a fresh process and prints
// `{"ms": <elapsed>, "rows": <n>, "peakRssMb": <VmHWM>}` so peak memory belongs to this extract alone.
// Usage: deno run -A scripts/bench/_db_extract_child.ts '<json {driver, config, sql, output, format, fetch_size}>'
import { ConnectorAccessor, ConnectorRegistry } from "../../engine/connectors/mod.ts";
import { fakeContext, runStep } from "../../engine/steps/_test_context.ts";
import { dbExtractStreamStep } from "../../engine/steps/db/db_extract_stream.ts";

const args = JSON.parse(Deno.args[0]!) as {
  driver: string;
  config: Record<string, unknown>;
  sql: string;
  output: string;
  format: string;
  fetch_size: number;
  workRoot: string;
};
const acc = new ConnectorAccessor({
  registry: ConnectorRegistry.withBuiltins(),
  resources: { src: { kind: "db", driver: args.driver, config: args.config, options: {}, decode: {} } },
  settings: { connector_cache_disabled: false, connector_cache_default: "run" },
});
const ctx = fakeContext({ workRoot: args.workRoot, connectors: acc });
const t0 = performance.now();
const r = await runStep(dbExtractStreamStep, {
  resource: "src",
  sql: args.sql,
  output: args.output,
  format: args.format,
  fetch_size: args.fetch_size,
}, ctx);
const ms = performance.now() - t0;
await acc.closeAll();
const status = await Deno.readTextFile("/proc/self/status");
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
console.log(JSON.stringify({ ms, rows: r.outputs?.row_count, peakRssMb: Math.round(hwm) }));
