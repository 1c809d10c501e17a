/**
 * Fixture helpers for the black-box acceptance tests (tests/acceptance_test.ts, tests/secrets_masking_test.ts,
 * tests/plugin_mixed_flow_test.ts): pinned WASM test plugins written beside a flow with their lock file, and
 * a read-only text dump of the state DB a run left behind (row queries: `stateRows` in tests/_helpers.ts).
 * @module
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { compileWat, testPluginSource } from "../plugins/build.ts";
import { writePluginLock } from "../../plugins/lock/mod.ts";
import { sha256Hex } from "../../plugins/host/wasm_bytes.ts";
import type { PluginPin } from "../../plugins/lock/mod.ts";

const _DIR = decodeURIComponent(new URL("./", import.meta.url).pathname);

/** Grants a test plugin needs to do its job (testdata/plugins/README.md). */
const GRANTS: Readonly<Record<string, PluginPin["grants"]>> = {
  t_failonce: { files: "artifacts" },
  t_conn: { resources: ["r1", "r2"] },
};

export interface BuiltPlugin {
  bytes: Uint8Array;
  sha256: string;
}

/** Compiles each plugin once per test file; `name` is a testdata/plugins WAT or one of this folder's. */
export class PluginCache {
  readonly #built = new Map<string, Promise<BuiltPlugin>>();

  get(name: string): Promise<BuiltPlugin> {
    let found = this.#built.get(name);
    if (!found) {
      found = _build(name);
      this.#built.set(name, found);
    }
    return found;
  }

  /**
   * Write the plugins into `dir` and pin them in `dir/aetherflow.plugins.yaml` (the lock beside the flow).
   * @returns the sha256 of each plugin by name
   */
  async pinBeside(dir: string, names: readonly string[]): Promise<Record<string, string>> {
    const pins: PluginPin[] = [];
    const shas: Record<string, string> = {};
    for (const name of names) {
      const b = await this.get(name);
      await Deno.writeFile(join(dir, `${name}.wasm`), b.bytes);
      const grants = GRANTS[name];
      pins.push({ path: `${name}.wasm`, sha256: b.sha256, ...(grants ? { grants } : {}) });
      shas[name] = b.sha256;
    }
    await writePluginLock({ file: join(dir, "aetherflow.plugins.yaml"), plugins: pins });
    return shas;
  }
}

async function _build(name: string): Promise<BuiltPlugin> {
  let source: string;
  try {
    const own = await Deno.readTextFile(join(_DIR, `${name}.wat`));
    const prelude = await Deno.readTextFile(join(_DIR, "../plugins/_prelude.wat"));
    source = own.replace(";; @prelude", prelude);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    source = await testPluginSource(name);
  }
  const bytes = await compileWat(name, source);
  return { bytes, sha256: await sha256Hex(bytes) };
}

/** Every text value of every row of every table of the state DB at `path`, as `table.column: value`. */
export function dumpStateText(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      .map((r) => String(r.name));
    const out: string[] = [];
    for (const table of tables) {
      for (const row of db.prepare(`SELECT * FROM "${table}"`).all()) {
        for (const [col, value] of Object.entries(row)) {
          if (typeof value === "string") out.push(`${table}.${col}: ${value}`);
        }
      }
    }
    return out;
  } finally {
    db.close();
  }
}

/** Parse stderr as JSON lines; throws naming the first line that is not one JSON object. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l !== "").map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`Not a JSON log line: ${line}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new Error(`Not a JSON object log line: ${line}`);
    }
    return value as Record<string, unknown>;
  });
}

/** Lines of text-format logs, without the timestamp, level and logger prefix (`<message>` only). */
export function logMessages(stderr: string): string[] {
  return stderr.split("\n").map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \S+ \S+ - /, ""));
}

/** The config a t_peek connector received, from its step output `{response: {result: {config_shifted}}}`. */
export function unpeek(output: unknown): unknown {
  const shifted = (output as { response?: { result?: { config_shifted?: unknown } } })?.response?.result
    ?.config_shifted;
  if (typeof shifted !== "string") throw new Error(`Not a t_peek reply: ${JSON.stringify(output)}`);
  return JSON.parse([...shifted].map((c) => String.fromCharCode(c.charCodeAt(0) - 1)).join(""));
}
