import assert from "node:assert/strict";
import { unknownInputIssues } from "./_suggest.ts";

Deno.test("unknownInputIssues() reports each unknown key with its loc and hint", () => {
  assert.deepEqual(unknownInputIssues({ items: [], min_cout: 2, zzz: 1 }, ["items", "min_count"]), [
    {
      code: "semantic:unknown_input",
      loc: "min_cout",
      msg: "Extra inputs are not permitted (did you mean 'min_count'?)",
    },
    { code: "semantic:unknown_input", loc: "zzz", msg: "Extra inputs are not permitted" },
  ]);
  assert.deepEqual(unknownInputIssues({ tpye: "x" }, ["type", "id", "inputs"], "step.")[0]?.loc, "step.tpye");
});
