import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseErrorReason } from "./_parse_errors.ts";

function _jsonError(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (err) {
    return err;
  }
  throw new Error("parsed");
}

function _yamlError(text: string): unknown {
  try {
    parse(text);
  } catch (err) {
    return err;
  }
  throw new Error("parsed");
}

Deno.test("parseErrorReason() drops V8's JSON excerpt, which may hold a secret", () => {
  assert.equal(
    parseErrorReason(_jsonError('{"DB_PASSWORD": hunter2secret}')),
    "Unexpected token 'h'",
  );
  assert.equal(parseErrorReason(_jsonError("hunter2secret")), "Unexpected token 'h'");
  assert.equal(parseErrorReason(_jsonError("NaN")), "not valid JSON");
  assert.equal(
    parseErrorReason(_jsonError('{"a" 1}')),
    "Expected ':' after property name in JSON at position 5 (line 1 column 6)",
  );
});

Deno.test("parseErrorReason() keeps the line and column of a YAML error but not the source excerpt", () => {
  const got = parseErrorReason(_yamlError('p:\n  password: "hunter2secret\n  x: [\n'));
  assert.doesNotMatch(got, /hunter2secret|\n/);
  assert.match(got, /at line \d+, column \d+$/);
});
