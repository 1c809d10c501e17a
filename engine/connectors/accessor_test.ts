import assert from "node:assert/strict";
import { closeProcessConnectors, ConnectorAccessor } from "./accessor.ts";
import { ConnectorRegistry } from "./registry.ts";
import type { Connector, ConnectorDefinition } from "./types.ts";

function _counting(): { def: ConnectorDefinition; created: string[]; closed: string[] } {
  const created: string[] = [];
  const closed: string[] = [];
  const def: ConnectorDefinition = {
    kind: "db",
    driver: "fake",
    origin: "test",
    create(r): Connector {
      created.push(r.name);
      return { resource: r.name, close: () => void closed.push(r.name) };
    },
  };
  return { def, created, closed };
}

function _resource(options: Record<string, unknown> = {}) {
  return { kind: "db", driver: "fake", config: {}, options, decode: {} };
}

function _accessor(def: ConnectorDefinition, settings = {}, resources = {}) {
  const registry = ConnectorRegistry.withBuiltins();
  registry.register(def);
  return new ConnectorAccessor({
    registry,
    resources: {
      a: _resource(),
      n: _resource({ cache: " NONE " }),
      p: _resource({ cache: "process" }),
      ...resources,
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run", ...settings },
  });
}

Deno.test("ConnectorAccessor creates lazily and caches per run by default", async () => {
  const { def, created, closed } = _counting();
  const acc = _accessor(def);
  assert.deepStrictEqual(created, []);
  const c1 = await acc.db("a");
  const c2 = await acc.get("db", "a");
  assert.equal(c1, c2);
  assert.deepStrictEqual(created, ["a"]);
  await acc.closeAll();
  assert.deepStrictEqual(closed, ["a"]);
});

Deno.test("ConnectorAccessor cache policy: resource none, explicit argument, disabled setting", async () => {
  const { def, created } = _counting();
  const acc = _accessor(def);
  await acc.named("n");
  await acc.named("n");
  assert.deepStrictEqual(created, ["n", "n"]);
  assert.equal(acc.cachePolicy("n", "run"), "run");
  assert.equal(acc.cachePolicy("a", "weird"), "run");
  const disabled = _accessor(_counting().def, { connector_cache_disabled: true });
  assert.equal(disabled.cachePolicy("p"), "none");
  assert.equal(disabled.cachePolicy("p", "process"), "process");
  const dflt = _accessor(_counting().def, { connector_cache_default: "none" });
  assert.equal(dflt.cachePolicy("a"), "none");
});

Deno.test("ConnectorAccessor shares process-cached instances across runs until closeProcessConnectors()", async () => {
  const { def, created, closed } = _counting();
  const run1 = _accessor(def);
  const run2 = _accessor(def);
  const c1 = await run1.named("p");
  await run1.closeAll();
  assert.deepStrictEqual(closed, []);
  assert.equal(await run2.named("p"), c1);
  assert.deepStrictEqual(created, ["p"]);
  await closeProcessConnectors();
  assert.deepStrictEqual(closed, ["p"]);
});

Deno.test("ConnectorAccessor errors: unknown resource, kind mismatch", async () => {
  const acc = _accessor(_counting().def);
  await assert.rejects(acc.db("zz"), { message: 'Unknown resource: zz. Known: ["a","n","p"]' });
  await assert.rejects(acc.rest("a"), { message: "Resource a is kind=db, requested kind=rest" });
});

Deno.test("echo connector returns what it received", async () => {
  const acc = new ConnectorAccessor({
    registry: ConnectorRegistry.withBuiltins(),
    resources: {
      e: { kind: "echo", driver: "echo", config: { token: "DEC(abc)" }, options: {}, decode: {} },
    },
    settings: { connector_cache_disabled: false, connector_cache_default: "run" },
  });
  const c = await acc.get("echo", "e");
  assert.deepStrictEqual(await c.call?.("ping", { x: 1 }), {
    resource: "e",
    method: "ping",
    args: { x: 1 },
    config: { token: "DEC(abc)" },
    options: {},
  });
});
