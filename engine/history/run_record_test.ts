import assert from "node:assert/strict";
import { loadSettings, Masker } from "../config/mod.ts";
import { envRecord, settingsRecord } from "./run_record.ts";

Deno.test("envRecord() masks secret-named keys and registered secrets, null for unset keys", () => {
  const snapshot = { REGION: "eu", DB_PASSWORD: "pw", DSN: "u:longsecret@h" };
  const masker = new Masker();
  masker.addFromSnapshot(snapshot);
  masker.add("longsecret");
  assert.deepEqual(envRecord(["REGION", "DB_PASSWORD", "DSN", "MISSING"], snapshot, masker), {
    REGION: "eu",
    DB_PASSWORD: "***",
    DSN: "u:***@h",
    MISSING: null,
  });
});

Deno.test("settingsRecord() keeps every setting and drops URL credentials", () => {
  const snapshot = {
    AETHERFLOW_OTLP_ENDPOINT: "https://user:otlp-secret@collector:4318/v1/metrics",
    AETHERFLOW_STATE_SYNCHRONOUS: "normal",
  };
  const rec = settingsRecord(loadSettings(snapshot), snapshot, new Masker());
  assert.equal(rec.otlp_endpoint, "https://collector:4318/v1/metrics");
  assert.equal(rec.state_synchronous, "NORMAL");
  assert.equal(rec.log_level, "INFO");
  assert.ok(!JSON.stringify(rec).includes("otlp-secret"));
});
