// Example step plugin: `examples.csv_select` keeps the named columns of CSV text (inputs.csv, inputs.columns)
// and returns the new CSV and its row count. Plain comma-separated text without quoting, to stay short.
import { fail, JKind, output, quote, stepCall, succeed } from "../../sdk/assembly/aetherflow";
export { aetherflowAbort } from "../../sdk/assembly/aetherflow";

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"examples-csv","version":"1.0.0","steps":[{"type":"examples.csv_select",' +
      '"description":"Keep the named columns of CSV text","inputs":{"csv":"string","columns":"list of strings"}}]}',
  );
  return 0;
}

export function aetherflow_step(): i32 {
  const call = stepCall();
  const csv = call.inputs.getString("csv");
  const wanted = call.inputs.get("columns");
  if (wanted == null || wanted.kind != JKind.Arr) return fail("inputs.columns must be a list of column names");
  const lines = csv.split("\n").filter((l: string): bool => l.length > 0);
  if (lines.length == 0) return succeed('{"csv":"","rows":0}');
  const header = lines[0].split(",");
  const idx: i32[] = [];
  for (let i = 0; i < wanted.items.length; i++) {
    const name = wanted.items[i].str;
    const at = header.indexOf(name);
    if (at < 0) return fail("unknown column " + name);
    idx.push(at);
  }
  let out = "";
  for (let r = 0; r < lines.length; r++) {
    const cells = lines[r].split(",");
    const picked: string[] = [];
    for (let k = 0; k < idx.length; k++) picked.push(idx[k] < cells.length ? cells[idx[k]] : "");
    out += picked.join(",") + "\n";
  }
  return succeed('{"csv":' + quote(out) + ',"rows":' + (lines.length - 1).toString() + "}");
}
