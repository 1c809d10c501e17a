import assert from "node:assert/strict";
import { closeProcessConnectors, ConnectorAccessor } from "./accessor.ts";
import { ConnectorRegistry } from "./registry.ts";
import type { Connector, ConnectorDefinition } from "./types.ts";
import type { DbConnector } from "./kinds/mod.ts";
import { fields } from "../inputs/mod.ts";
import type { JsonValue } from "../types.ts";

function _counting(): { def: ConnectorDefinition; created: string[]; closed: string[] } {
  const created: string[] = [];
  const closed: string[] = [];
  const def: ConnectorDefinition = {
    kind: "db",
    driver: "fake",
    origin: "test",
    create(r): DbConnector {
      created.push(r.name);
      return {
        resource: r.name,
        fetchall: () => Promise.resolve({ columns: ["n"], rows: [[1]] }),
        close: () => void closed.push(r.name),
      };
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

/** A plugin-style connector: only a generic `call`, with declared methods. */
function _generic(
  methods: string[],
  answer: (method: string, args: JsonValue) => JsonValue,
): ConnectorDefinition {
  return {
    kind: "db",
    driver: "plug",
    origin: "plugin:p@1.0.0",
    methods,
    create: (r): Connector => ({
      resource: r.name,
      call: (method, args) => Promise.resolve(answer(method, args)),
    }),
  };
}

Deno.test("ConnectorAccessor fits a plugin connector to the db interface through its generic call", async () => {
  const seen: unknown[] = [];
  const def = _generic(["fetchall", "fetchmany"], (method, args) => {
    seen.push([method, args]);
    return { columns: ["a"], rows: [[1], [2]] };
  });
  const acc = _accessor(def, {}, { g: { kind: "db", driver: "plug", config: {}, options: {}, decode: {} } });
  const db = await acc.db("g");
  assert.deepEqual(await db.fetchall({ sql: "select a" }), { columns: ["a"], rows: [[1], [2]] });
  const stream = await db.fetchmany!({ sql: "select a", fetch_size: 10 });
  const batches = [];
  for await (const b of stream.batches) batches.push(b);
  assert.deepEqual([stream.columns, stream.types, batches], [["a"], [null], [[[1], [2]]]]);
  assert.deepEqual(seen, [
    ["fetchall", { params: {}, sql: "select a" }],
    ["fetchmany", { params: {}, sql: "select a", fetch_size: 10 }],
  ]);
});

Deno.test("ConnectorAccessor refuses a plugin connector that lacks the kind's methods, and a bad result", async () => {
  const lacking = _accessor(_generic(["execute"], () => null), {}, {
    g: { kind: "db", driver: "plug", config: {}, options: {}, decode: {} },
  });
  await assert.rejects(lacking.db("g"), {
    code: "connector:methods",
    message: 'Connector db:plug (plugin:p@1.0.0) lacks the db methods ["fetchall"]',
  });
  const liar = _accessor(_generic([], () => ({ columns: "a" })), {}, {
    g: { kind: "db", driver: "plug", config: {}, options: {}, decode: {} },
  });
  await assert.rejects((await liar.db("g")).fetchall({ sql: "x" }), {
    name: "PluginError",
    message: /Connector of resource g: fetchall returned an unexpected result at columns/,
  });
});

Deno.test("ConnectorAccessor parses config with the driver's schema when it creates the connector", async () => {
  const got: unknown[] = [];
  const def: ConnectorDefinition<Connector, { port: number }> = {
    kind: "rest",
    driver: "typed",
    origin: "test",
    config: fields.fixedMap({ port: fields.int({ default: 80 }) }),
    create: (r) => {
      got.push(r.config);
      return { resource: r.name };
    },
  };
  const res = (config: Record<string, unknown>) => ({
    kind: "rest",
    driver: "typed",
    config,
    options: {},
    decode: {},
  });
  const acc = _accessor(def, {}, {
    ok: res({ port: "8080" }),
    bad: res({ port: "x" }),
    odd: res({ prot: 1 }),
  });
  await acc.get("rest", "ok");
  assert.deepEqual(got, [{ port: 8080 }]);
  await assert.rejects(acc.get("rest", "bad"), {
    code: "connector:invalid_config",
    message: "Resource bad: config.port must be an integer",
  });
  await assert.rejects(acc.get("rest", "odd"), { message: "Resource odd: unknown config.prot" });
});
