import assert from "node:assert/strict";
import { ConnectorAccessor } from "./accessor.ts";
import { ConnectorRegistry } from "./registry.ts";
import type { AnyConnectorDefinition } from "./types.ts";
import type { DbConnector } from "./kinds/mod.ts";
import { probeEndpoint, probeResource } from "./probe.ts";

const ENDPOINTS = [
  ["db with host and default port", "db", "postgres", { host: "db.internal" }, "db.internal:5432"],
  ["db with an explicit port", "db", "mysql", { host: "h", port: "3307" }, "h:3307"],
  ["db dsn", "db", "x", { dsn: "postgresql://u:p@pg:6543/app" }, "pg:6543"],
  ["sftp default port", "sftp", "paramiko", { host: "files" }, "files:22"],
  ["smb server", "smb", "smbclient", { server: "nas" }, "nas:445"],
  ["mail starttls", "mail", "smtp", { host: "mx", starttls: true }, "mx:587"],
  ["rest base_url", "rest", "fetch", { base_url: "https://api.example/v1" }, "api.example:443"],
  ["no host: none", "archive", "zip", {}, null],
  ["unknown driver without port: none", "db", "exotic", { host: "h" }, null],
] as const;

Deno.test("probeEndpoint() derives host:port from the resource config", async (t) => {
  for (const [name, kind, driver, config, want] of ENDPOINTS) {
    await t.step(name, () => {
      const ep = probeEndpoint({ kind, driver, config: { ...config }, options: {}, decode: {} });
      assert.equal(ep === null ? null : `${ep.host}:${ep.port}`, want);
    });
  }
});

function _accessor(def: AnyConnectorDefinition, config: Record<string, unknown> = {}) {
  const registry = ConnectorRegistry.withBuiltins();
  registry.register(def);
  const resource = { kind: def.kind, driver: def.driver, config, options: {}, decode: {} };
  return {
    resource,
    accessor: new ConnectorAccessor({
      registry,
      resources: { r: resource },
      settings: { connector_cache_disabled: false, connector_cache_default: "run" },
    }),
  };
}

const OPTS = { timeoutMs: 5000, mask: (s: string) => s.replaceAll("s3cret", "***") };

Deno.test("probeResource() runs the kind's read-only check when the driver has no probe (db: SELECT 1)", async () => {
  const seen: string[] = [];
  const { accessor, resource } = _accessor({
    kind: "db",
    driver: "t",
    origin: "test",
    create: (r): DbConnector => ({
      resource: r.name,
      fetchall: (q) => {
        seen.push(q.sql);
        return Promise.resolve({ columns: ["?column?"], rows: [[1]] });
      },
    }),
  });
  const r = await probeResource(accessor, "r", resource, OPTS);
  assert.deepEqual([r.status, r.detail, seen], ["OK", "SELECT 1 returned 1 row(s)", ["SELECT 1"]]);
});

Deno.test("probeResource() prefers the driver's probe and masks what fails", async () => {
  const ok = _accessor({
    kind: "mail",
    driver: "t",
    origin: "test",
    create: (r) => ({ resource: r.name, probe: () => Promise.resolve("250 EHLO ok") }),
  });
  assert.equal((await probeResource(ok.accessor, "r", ok.resource, OPTS)).detail, "250 EHLO ok");
  const bad = _accessor({
    kind: "mail",
    driver: "t",
    origin: "test",
    create: () => Promise.reject(new Error("535 auth failed for password s3cret")),
  });
  const r = await probeResource(bad.accessor, "r", bad.resource, OPTS);
  assert.equal(r.status, "FAIL");
  assert.equal(r.detail, "opening the connector: 535 auth failed for password ***");
});

Deno.test("probeResource() skips mail without a driver probe (sending is not a probe)", async () => {
  const { accessor, resource } = _accessor({
    kind: "mail",
    driver: "t",
    origin: "test",
    create: (r) => ({ resource: r.name, send_plaintext: () => Promise.resolve() }),
  });
  assert.equal((await probeResource(accessor, "r", resource, OPTS)).status, "SKIP");
});

Deno.test("probeResource() reports a probe that never answers as FAIL within its timeout", async () => {
  const { accessor, resource } = _accessor({
    kind: "db",
    driver: "t",
    origin: "test",
    create: (r): DbConnector => ({ resource: r.name, fetchall: () => new Promise(() => {}) }),
  });
  const t0 = performance.now();
  const r = await probeResource(accessor, "r", resource, { ...OPTS, timeoutMs: 200 });
  assert.equal(r.status, "FAIL");
  assert.equal(r.detail, "timed out after 200 ms (probing)");
  assert.ok(performance.now() - t0 < 30_000, "returned, not hung");
});

Deno.test("probeResource() checks TCP reachability first, with the OS's reason", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens there now: connection refused
  let created = false;
  const { accessor, resource } = _accessor({
    kind: "db",
    driver: "t",
    origin: "test",
    create: (r): DbConnector => {
      created = true;
      return { resource: r.name, fetchall: () => Promise.resolve({ columns: [], rows: [] }) };
    },
  }, { host: "127.0.0.1", port });
  const r = await probeResource(accessor, "r", resource, OPTS);
  assert.equal(r.status, "FAIL");
  assert.match(r.detail, new RegExp(`^cannot connect to 127\\.0\\.0\\.1:${port}: .*refused`, "i"));
  assert.equal(created, false, "no driver work once the host is unreachable");
});
