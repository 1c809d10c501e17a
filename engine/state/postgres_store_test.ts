import assert from "node:assert/strict";
import { postgresDatabase, postgresService } from "../../tests/_services.ts";
import { SCHEMA_VERSION } from "./mod.ts";
import { PostgresStateStore, type PostgresStoreOptions } from "./postgres_store.ts";
import { stateConformance } from "./_conformance.ts";

const pg = postgresService();

/** A client of its own (not the store's) to look at what the store wrote. */
async function _admin(url: string) {
  const { default: postgres } = await import("postgres");
  return postgres(url, { max: 1, onnotice: () => {}, fetch_types: false });
}

// The shared suite, each case in a fresh schema of the shared test database (cheaper than a database per case);
// the backend clock is the server's, shifted by the fixture.
stateConformance({
  name: "postgres",
  ignore: pg.ignore,
  async fresh() {
    const url = pg.get().url;
    const schema = `c_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = await _admin(url);
    let offset = 0;
    const opened: PostgresStateStore[] = [];
    return {
      async open(options = {}) {
        const store = await PostgresStateStore.open(url, {
          ...options,
          schema,
          clockOffsetSeconds: () => offset,
        });
        opened.push(store);
        return store;
      },
      advance(seconds) {
        offset += seconds;
      },
      async nowSeconds() {
        const rows = await admin.unsafe("SELECT floor(extract(epoch from clock_timestamp()))::bigint AS s");
        return Number(rows[0]!.s) + offset;
      },
      async rows(table) {
        return (await admin.unsafe(`SELECT * FROM ${schema}.${table}`)).map((r) => ({ ...r }));
      },
      async [Symbol.asyncDispose]() {
        for (const store of opened) await store.close();
        await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      },
    };
  },
});

Deno.test({
  name: "PostgresStateStore.open() creates the tables at the current schema version, once for many openers",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const stores = await Promise.all([1, 2, 3, 4].map(() => PostgresStateStore.open(db.url)));
  const admin = await _admin(db.url);
  try {
    const tables = (await admin.unsafe(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    )).map((r) => r.table_name);
    assert.deepEqual(tables, [
      "aetherflow_schema",
      "job_runs",
      "locks",
      "process_groups",
      "runs",
      "schedule_fires",
      "step_runs",
    ]);
    assert.deepEqual((await admin.unsafe("SELECT version FROM aetherflow_schema")).map((r) => r.version), [
      SCHEMA_VERSION,
    ]);
    // An upstream-style SQL recipe works here too.
    await stores[0]!.setJobStatus("j", "r", "SUCCESS");
    const rows = await admin.unsafe("SELECT job_id, run_id, status FROM job_runs WHERE status = 'SUCCESS'");
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ job_id: "j", run_id: "r", status: "SUCCESS" }]);
  } finally {
    await admin.end();
    for (const s of stores) await s.close();
  }
});

Deno.test({
  name: "PostgresStateStore.open() keeps its tables in the configured schema",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const store = await PostgresStateStore.open(db.url, { schema: "af_state" });
  const admin = await _admin(db.url);
  try {
    await store.setJobStatus("j", "r", "SUCCESS");
    assert.equal(store.path.endsWith("(schema af_state)"), true, store.path);
    const rows = await admin.unsafe("SELECT status FROM af_state.job_runs");
    assert.deepEqual(rows.map((r) => r.status), ["SUCCESS"]);
    const pub = await admin.unsafe("SELECT to_regclass('public.job_runs') IS NULL AS absent");
    assert.equal(pub[0]!.absent, true);
    await assert.rejects(PostgresStateStore.open(db.url, { schema: "Bad-Name" }), { name: "StateError" });
  } finally {
    await admin.end();
    await store.close();
  }
});

Deno.test({
  name: "PostgresStateStore.open() refuses a newer schema version and read-only opens of an empty database",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await assert.rejects(PostgresStateStore.open(db.url, { readOnly: true }), (err: unknown) => {
    assert.ok(err instanceof Error && err.name === "StateError");
    assert.match(err.message, /not initialised/);
    return true;
  });
  (await PostgresStateStore.open(db.url)).close();
  const admin = await _admin(db.url);
  try {
    await admin.unsafe(`UPDATE aetherflow_schema SET version = ${SCHEMA_VERSION + 5}`);
  } finally {
    await admin.end();
  }
  await assert.rejects(PostgresStateStore.open(db.url), (err: unknown) => {
    assert.ok(err instanceof Error && err.name === "StateError");
    assert.ok(
      err.message.startsWith(
        `State database schema version ${SCHEMA_VERSION + 5} is newer than supported (${SCHEMA_VERSION})`,
      ),
      err.message,
    );
    return true;
  });
});

Deno.test({
  name: "PostgresStateStore never shows the password: bad login, unreachable server, messages and path",
  ignore: pg.ignore,
}, async () => {
  const info = pg.get();
  const secret = "n0t-the-Pa55word";
  const bad = `postgres://${info.user}:${secret}@${info.host}:${info.port}/postgres`;
  const check = (err: unknown) => {
    assert.ok(err instanceof Error && err.name === "StateError", String(err));
    assert.ok(!err.message.includes(secret), err.message);
    assert.ok(
      err.message.includes(`postgres://${info.user}@${info.host}:${info.port}/postgres`),
      err.message,
    );
    return true;
  };
  await assert.rejects(PostgresStateStore.open(bad, { connectTimeoutSeconds: 5 }), check);
  // A closed port on loopback: refused at once.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await assert.rejects(
    PostgresStateStore.open(`postgres://u:${secret}@127.0.0.1:${port}/db`, { connectTimeoutSeconds: 5 }),
    (err: unknown) => {
      assert.ok(err instanceof Error && err.name === "StateError");
      assert.ok(!err.message.includes(secret), err.message);
      return true;
    },
  );
});

Deno.test({
  name: "PostgresStateStore: the database's clock decides expiry, whatever the hosts' clocks say",
  ignore: pg.ignore,
}, async () => {
  // The SQLite store's `now` hook is a host clock; the PostgreSQL store has none: a host whose clock runs an
  // hour ahead (or behind) takes nothing early, because no expiry is computed from a host clock.
  await using db = await postgresDatabase();
  const realNow = Date.now;
  const a = await PostgresStateStore.open(db.url, { host: "a", pid: 1 });
  const b = await PostgresStateStore.open(db.url, { host: "b", pid: 2 });
  try {
    assert.equal(await a.acquireLock("k", { owner: "r1", ttlSeconds: 60 }), true);
    await a.holdRunLease("R", { ttlSeconds: 60, renewEveryMs: 0 });
    Date.now = () => realNow() + 3_600_000;
    assert.equal(await b.acquireLock("k", { owner: "r2" }), false);
    await assert.rejects(b.holdRunLease("R", { renewEveryMs: 0 }), { code: "state:run_busy" });
    Date.now = () => realNow() - 3_600_000;
    const fire = await b.claimFire({ itemId: "i", slotMs: 1, runId: "i-1", ttlSeconds: 60 });
    Date.now = () => realNow() + 3_600_000;
    assert.equal(await a.takeOverFire({ itemIds: ["i"], ttlSeconds: 60 }), null);
    assert.equal(fire.kind, "claimed");
  } finally {
    Date.now = realNow;
    await a.close();
    await b.close();
  }
});

Deno.test({
  name:
    "PostgresStateStore survives a lost connection: the failing call is a StateError, the next reconnects",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  const options: PostgresStoreOptions = { host: "h", pid: 1 };
  const store = await PostgresStateStore.open(db.url, options);
  const admin = await _admin(db.url);
  try {
    await store.setJobStatus("j", "r", "RUNNING");
    // The server ends every aetherflow session (as a restart or a network cut would).
    await admin.unsafe(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'aetherflow'",
    );
    let failed = 0;
    for (let i = 0; i < 3; i++) {
      try {
        await store.setJobStatus("j", "r", "SUCCESS");
        break;
      } catch (err) {
        assert.ok(err instanceof Error && err.name === "StateError", String(err));
        assert.ok(err.message.includes(store.path), err.message);
        failed++;
      }
    }
    assert.ok(failed <= 1, `at most the call on the dead connection fails (${failed})`);
    assert.equal((await store.getJobRecord("j", "r"))?.status, "SUCCESS");
  } finally {
    await admin.end();
    await store.close();
  }
});

Deno.test({
  name: "PostgresStateStore.open() migrates a version 3 database: process_groups added (v4), rows kept",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await (await PostgresStateStore.open(db.url)).close();
  const admin = await _admin(db.url);
  try {
    await admin.unsafe("DROP TABLE process_groups");
    await admin.unsafe("UPDATE aetherflow_schema SET version = 3");
    await admin.unsafe(
      "INSERT INTO job_runs (job_id, run_id, status, updated_at) VALUES ('j', 'r', 'SUCCESS', 5)",
    );
    const store = await PostgresStateStore.open(db.url);
    try {
      assert.equal((await store.getJobRecord("j", "r"))?.status, "SUCCESS");
      await store.recordProcessGroup({
        runId: "r",
        jobId: "j",
        stepId: "s",
        pgid: 7,
        startTicks: 1,
        bootId: null,
        graceMs: 0,
      });
      assert.deepEqual((await store.listProcessGroups("r")).map((g) => g.pgid), [7]);
    } finally {
      await store.close();
    }
    assert.deepEqual((await admin.unsafe("SELECT version FROM aetherflow_schema")).map((r) => r.version), [
      SCHEMA_VERSION,
    ]);
  } finally {
    await admin.end();
  }
});

Deno.test({
  name:
    "PostgresStateStore.open() migrates a version 4 database: step_runs.definition_sha256 added (v5), rows kept",
  ignore: pg.ignore,
}, async () => {
  await using db = await postgresDatabase();
  await (await PostgresStateStore.open(db.url)).close();
  const admin = await _admin(db.url);
  try {
    await admin.unsafe("ALTER TABLE step_runs DROP COLUMN definition_sha256");
    await admin.unsafe("UPDATE aetherflow_schema SET version = 4");
    await admin.unsafe(
      "INSERT INTO step_runs (job_id, run_id, step_id, status, updated_at) VALUES ('j', 'r', 's', 'SUCCESS', 5)",
    );
    const store = await PostgresStateStore.open(db.url);
    try {
      assert.equal((await store.getStepRecord("j", "r", "s"))?.definitionSha256, null);
      await store.setStepStatus("j", "r", "t", "SUCCESS", { output: {}, definitionSha256: "c".repeat(64) });
      assert.equal((await store.getStepRecord("j", "r", "t"))?.definitionSha256, "c".repeat(64));
    } finally {
      await store.close();
    }
    assert.deepEqual((await admin.unsafe("SELECT version FROM aetherflow_schema")).map((r) => r.version), [
      SCHEMA_VERSION,
    ]);
  } finally {
    await admin.end();
  }
});
