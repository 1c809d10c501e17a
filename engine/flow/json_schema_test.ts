import assert from "node:assert/strict";
import { flowJsonSchema, profilesJsonSchema } from "./json_schema.ts";

type Obj = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): Obj => keys.reduce((cur, k) => (cur as Obj)[k], o) as Obj;

Deno.test("flowJsonSchema() mirrors the flow models", async (t) => {
  const schema = flowJsonSchema();
  await t.step("required keys and no unknown keys [D6]", () => {
    assert.deepEqual(schema.required, ["flow", "jobs"]);
    assert.equal(schema.additionalProperties, false);
    assert.equal(at(schema, "properties", "jobs", "items").additionalProperties, false);
  });
  await t.step("int fields accept what the validator coerces, with defaults", () => {
    const version = at(schema, "properties", "version");
    assert.equal(version.default, 1);
    assert.ok(Array.isArray(version.anyOf));
  });
  await t.step("enums list the exact values", () => {
    const policy = at(
      schema,
      "properties",
      "flow",
      "properties",
      "workspace",
      "properties",
      "cleanup_policy",
    );
    assert.deepEqual(policy.enum, ["on_success", "always", "never"]);
  });
});

Deno.test("profilesJsonSchema() forbids unknown profile keys", () => {
  const schema = profilesJsonSchema();
  assert.equal(at(schema, "additionalProperties").additionalProperties, false);
});
