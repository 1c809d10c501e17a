import assert from "node:assert/strict";
import { AetherflowError } from "../errors.ts";
import { ConnectorRegistry } from "./registry.ts";
import type { ConnectorDefinition } from "./types.ts";

const DB_PG: ConnectorDefinition = {
  kind: "db",
  driver: "pg",
  origin: "plugin acme@1.0.0",
  create: (r) => ({ resource: r.name }),
};

Deno.test("ConnectorRegistry refuses a second kind:driver naming the first origin", () => {
  const reg = ConnectorRegistry.withBuiltins();
  reg.register(DB_PG);
  assert.throws(
    () => reg.register({ ...DB_PG, origin: "plugin other@2.0.0" }),
    (err: unknown) =>
      err instanceof AetherflowError && err.code === "connector:duplicate" &&
      err.message === "Connector db:pg already registered by plugin acme@1.0.0",
  );
  assert.throws(
    () => reg.register({ ...DB_PG, kind: "echo", driver: "echo" }),
    { message: "Connector echo:echo already registered by builtin" },
  );
});

Deno.test("ConnectorRegistry.get() lists the known connectors on an unknown key", () => {
  const reg = ConnectorRegistry.withBuiltins();
  reg.register(DB_PG);
  assert.equal(reg.get("db", "pg"), DB_PG);
  assert.throws(() => reg.get("db", "oracle"), {
    code: "connector:unknown",
    message: `Unknown connector: db:oracle. Loaded: ${JSON.stringify(reg.keys())}`,
  });
  // The list is every registered key, sorted (the built-ins grow; the registered one is among them).
  assert.ok(reg.keys().includes("db:pg") && reg.keys().includes("echo:echo"));
  assert.deepEqual(reg.keys(), [...reg.keys()].sort());
});
