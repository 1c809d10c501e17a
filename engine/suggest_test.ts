import assert from "node:assert/strict";
import { editDistance, suggestKey } from "./suggest.ts";

const DISTANCES = [
  ["", "", 0],
  ["abc", "abc", 0],
  ["abc", "", 3],
  ["min_count", "min_cuont", 1], // adjacent transposition costs 1
  ["items", "itme", 2],
  ["kitten", "sitting", 3],
] as const;

Deno.test("editDistance() is Damerau-Levenshtein (optimal string alignment)", async (t) => {
  for (const [a, b, want] of DISTANCES) {
    await t.step(`${a} / ${b}`, () => {
      assert.equal(editDistance(a, b), want);
      assert.equal(editDistance(b, a), want);
    });
  }
});

Deno.test("suggestKey() picks the closest key within distance 2", () => {
  const allowed = ["lock_key", "step", "ttl_seconds", "wait_seconds"];
  assert.equal(suggestKey("lock_kye", allowed), "lock_key");
  assert.equal(suggestKey("ttl_second", allowed), "ttl_seconds");
  assert.equal(suggestKey("stpe", allowed), "step");
  assert.equal(suggestKey("timeout", allowed), undefined);
  assert.equal(suggestKey("ab", ["ax", "ay"]), "ax", "first on ties");
});
