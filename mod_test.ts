// Embedding aetherflow through the public API alone (docs/architecture.md "Embedding"): load and validate a flow,
// run it against its state store with an in-process step and connector, resume it, and read the outcome back.
import assert from "node:assert/strict";
import {
  type DbConnector,
  defineConnector,
  defineStep,
  fields,
  prepareFlow,
  runPreparedFlow,
  SpecError,
  StateStore,
} from "./mod.ts";

const greetStep = defineStep({
  type: "acme.greet",
  origin: "embedder",
  inputs: fields.fixedMap({
    name: fields.text(),
    times: fields.int({ default: 1, min: 1 }),
    db: fields.text(),
  }),
  connector: { input: "db", kinds: ["db"], methods: ["fetchall"] },
  async run(input, ctx) {
    const db = await ctx.connectors.db(input.db);
    const { rows } = await db.fetchall({ sql: "select greeting" });
    const file = await ctx.paths.resolve("greeting.txt");
    await Deno.writeTextFile(file, `${rows[0]?.[0]} ${input.name}`.repeat(input.times));
    return { outputs: { file, times: input.times } };
  },
});

const fakeDb = defineConnector({
  kind: "db",
  driver: "acme",
  origin: "embedder",
  config: fields.fixedMap({ greeting: fields.text() }),
  create: (resource): DbConnector => ({
    resource: resource.name,
    fetchall: () => Promise.resolve({ columns: ["greeting"], rows: [[resource.config.greeting]] }),
  }),
});

function _flow(dir: string, times: string): string {
  return [
    "flow:",
    "  id: embedded",
    `  workspace: {root: ${dir}/ws, cleanup_policy: never}`,
    `  state: {path: ${dir}/state.sqlite}`,
    "resources:",
    "  main_db: {kind: db, driver: acme, config: {greeting: hello}}",
    "jobs:",
    "  - id: gate",
    "    steps:",
    "      - {id: check, type: check_items, inputs: {items: [a, b]}}",
    "  - id: greet",
    "    depends_on: [gate]",
    "    steps:",
    `      - {id: hi, type: acme.greet, inputs: {name: world, times: "${times}", db: main_db}}`,
    "      - id: shell",
    "        type: external.process",
    "        inputs: {command: [sh, -c, 'cat \"$1\"', sh, '{{steps.hi.file}}'], log: {stdout: capture}}",
    "",
  ].join("\n");
}

Deno.test("mod.ts alone loads, validates and runs a flow with in-process extensions, then resumes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "af-embed-" });
  try {
    const path = `${dir}/flow.yaml`;
    await Deno.writeTextFile(path, _flow(dir, "2"));
    const prepared = await prepareFlow(path, { cwd: dir, steps: [greetStep], connectorTypes: [fakeDb] });
    try {
      assert.deepEqual(prepared.report.errors, []);
      const first = await runPreparedFlow(prepared, { runId: "r1", cwd: dir });
      assert.deepEqual([first.exitCode, first.jobStatuses], [0, { gate: "SUCCESS", greet: "SUCCESS" }]);
      const again = await runPreparedFlow(prepared, { runId: "r1", cwd: dir });
      assert.equal(again.exitCode, 0);
    } finally {
      await prepared.close();
    }
    using state = StateStore.open(`${dir}/state.sqlite`, { readOnly: true });
    const run = state.getRun("r1");
    assert.deepEqual([run?.status, run?.invocations], ["SUCCESS", 2]);
    const shell = state.listStepRecords("r1", "greet").find((s) => s.stepId === "shell");
    assert.equal(shell?.output?.stdout, "hello worldhello world");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mod.ts reports an invalid flow in the report, and refuses to run it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "af-embed-" });
  try {
    const path = `${dir}/flow.yaml`;
    await Deno.writeTextFile(path, _flow(dir, "zero").replace("driver: acme", "driver: nope"));
    const prepared = await prepareFlow(path, { cwd: dir, steps: [greetStep], connectorTypes: [fakeDb] });
    try {
      assert.deepEqual(prepared.report.errors.map((i) => `${i.loc} ${i.code}`), [
        "jobs[1].steps[0].inputs.times semantic:invalid_input",
        "resources.main_db.driver semantic:unknown_connector",
      ]);
      await assert.rejects(runPreparedFlow(prepared, { cwd: dir }), SpecError);
    } finally {
      await prepared.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
