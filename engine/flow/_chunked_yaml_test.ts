// The chunked fast path of loadYaml must give exactly what the whole-file parse gives, or step aside.
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadChunked } from "./_chunked_yaml.ts";
import { loadYaml, MAX_YAML_DEPTH, type PathSegment } from "./load_yaml.ts";
import { prng } from "../../tests/_prng.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SEED = Number(Deno.env.get("AF_FUZZ_SEED") ?? "20261128");

/** Both ways agree: a chunked answer only for a clean file, and then the same value and positions. */
function assertSameAsWhole(text: string, label: string): "chunked" | "whole" {
  const chunked = loadChunked(text, MAX_YAML_DEPTH);
  const whole = loadYaml(text, "f.yaml", { chunked: false });
  const viaLoad = loadYaml(text, "f.yaml");
  assert.deepStrictEqual(
    { ...viaLoad, locate: undefined },
    { ...whole, locate: undefined },
    `loadYaml differs for ${label}:\n${text}`,
  );
  if (chunked === undefined) return "whole";
  assert.deepStrictEqual(whole.issues, [], `chunked answered a file with issues (${label}):\n${text}`);
  assert.deepStrictEqual(whole.warnings, [], `chunked answered a file with warnings (${label}):\n${text}`);
  assert.deepStrictEqual(whole.nonStringKeys, [], `chunked answered non-string keys (${label}):\n${text}`);
  assert.deepStrictEqual(chunked.value, whole.value, `value differs for ${label}:\n${text}`);
  for (const path of _paths(whole.value)) {
    for (const wantKey of [false, true]) {
      const want = whole.locate(path, { key: wantKey });
      const where = `locate(${JSON.stringify(path)}, key=${wantKey}) differs for ${label}:\n${text}`;
      const got = chunked.locate(path, wantKey);
      if (got) assert.deepStrictEqual(got.pos, want, where);
      assert.deepStrictEqual(viaLoad.locate(path, { key: wantKey }), want, where);
    }
  }
  return "chunked";
}

/** Every path of `value` (capped), plus missing children and indices, to exercise the ancestor fallback. */
function _paths(value: unknown): PathSegment[][] {
  const out: PathSegment[][] = [[], ["nope"], ["jobs", 1e6], ["jobs", -1], ["jobs", "x"], ["jobs", 1.5]];
  const walk = (v: unknown, path: PathSegment[]): void => {
    if (out.length > 120) return;
    out.push(path, [...path, "missing"], [...path, 99]);
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else if (v && typeof v === "object" && !(v instanceof Date)) {
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

function benchFlow(jobs: number): string {
  const lines = ["flow:", "  id: bench", "jobs:"];
  for (let i = 0; i < jobs; i++) {
    lines.push(
      `  - id: job_${i}`,
      ...(i > 0 ? [`    depends_on: [job_${i - 1}]`] : []),
      "    steps:",
      `      - id: check_${i}`,
      "        type: check_items",
      `        inputs: {items: [1, 2, "{{env.ITEM_${i}:x}}"], min_count: 1}`,
    );
  }
  return lines.join("\n") + "\n";
}

const CASES = [
  ["bench flow", benchFlow(40)],
  ["compact sequence at column 0", "flow: {id: a}\njobs:\n- id: a\n  steps:\n  - id: s\n- id: b\n"],
  ["comments and blanks between items", "jobs:\n  # c\n  - id: a\n\n# col 0\n  - id: b\n"],
  ["block scalar with dash lines", "jobs:\n  - id: a\n    run: |\n      - x\n  - id: b\n"],
  ["block scalar ended by a dash line", "jobs:\n  - run: |\n     t\n  - x\n"],
  ["quoted scalar cut by a dash line", 'jobs:\n  - when: "x\n  - y"\n'],
  ["flow sequence cut by a dash line", "jobs:\n  - d: [x,\n  - y]\n"],
  ["flow map over column 0", "flow: {id: a,\nb: c}\n"],
  ["YAML 1.1 word keys", "yes:\n  - 1\nnull:\n  - 2\n"],
  ["int key", "1:\n  - a\n"],
  ["__proto__ root key", "__proto__:\n  - a\n"],
  ["duplicate root keys", "jobs:\n  - a\njobs:\n  - b\n"],
  ["duplicate nested keys", "jobs:\n  - id: a\n    id: b\n"],
  ["anchor and alias across entries", "a: &x\n  - 1\nb: *x\n"],
  ["merge key", "a:\n  - <<: {x: 1}\n    y: 2\n"],
  ["tags", "a:\n  - !!str 1\n  - !!binary aGk=\n  - !custom x\n"],
  ["CRLF", "flow:\r\n  id: a\r\njobs:\r\n  - id: b\r\n  - id: c\r\n"],
  ["lone CR", "flow:\r  id: a\rjobs: []\r"],
  ["tab indentation", "jobs:\n\t- a\n"],
  ["document markers", "---\njobs:\n  - a\n...\n"],
  ["second document", "jobs:\n  - a\n---\nb: 1\n"],
  ["directive", "%YAML 1.1\n---\njobs:\n  - a\n"],
  ["header with comment", "jobs: # the jobs\n  - a\n  - b\n"],
  ["header with inline value", "jobs: [a,\n  b]\n"],
  ["nested dash items", "jobs:\n  - - a\n    - b\n  -\n    - c\n  -\n"],
  ["map at the item indent", "jobs:\n  - id: a\n  steps: []\n"],
  ["less indented line", "jobs:\n    - a\n  - b\n"],
  ["empty", ""],
  ["comments only", "# a\n# b\n"],
  ["scalar root", "just text\n"],
  ["BOM", "\uFEFFjobs:\n  - a\n"],
  ["dates and numbers", "a:\n  - 2024-01-02\n  - 0x10\n  - 010\n  - 1_000\n  - .inf\n  - on\n"],
  ["line separator", "a:\n  - x\u2028  - y\n"],
  ["non-string nested key", "a:\n  - 1: x\n    2024-01-01: y\n"],
  ["complex key", "a:\n  - ? [x]\n    : y\n"],
  ["unresolved tag warning", "a:\n  - !<tag:x> y\n"],
] as const;

Deno.test("loadYaml() chunked parse equals the whole-file parse on tricky inputs", async (t) => {
  for (const [name, text] of CASES) await t.step(name, () => void assertSameAsWhole(text, name));
});

Deno.test("loadYaml() chunked parse answers the usual flow shapes", () => {
  assert.equal(assertSameAsWhole(benchFlow(300), "bench 300"), "chunked");
  assert.equal(assertSameAsWhole(CASES[1][1], "compact"), "chunked");
  assert.equal(assertSameAsWhole(CASES[16][1], "crlf"), "chunked");
});

const PIECES = [
  "- ",
  "  - ",
  "-",
  "#",
  "&a ",
  "*a",
  "<<: ",
  "'",
  '"',
  "[",
  "]",
  "{",
  "}",
  "|",
  ">",
  "\t",
  "\r",
  "---",
  "...",
  ": ",
  "? ",
  "!!str ",
  "yes",
  "~",
  "  ",
  "x: y",
  "__proto__: 1",
] as const;

/** Line-level mutations that move chunk boundaries around. */
function mutate(text: string, rnd: () => number): string {
  const lines = text.split("\n");
  for (let r = 1 + Math.floor(rnd() * 3); r > 0; r--) {
    const at = Math.floor(rnd() * lines.length);
    const line = lines[at] ?? "";
    const piece = PIECES[Math.floor(rnd() * PIECES.length)]!;
    switch (Math.floor(rnd() * 5)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[Math.floor(rnd() * lines.length)] ?? "");
        break;
      case 2: {
        const pos = Math.floor(rnd() * (line.length + 1));
        lines[at] = line.slice(0, pos) + piece + line.slice(pos);
        break;
      }
      case 3:
        lines[at] = rnd() < 0.5 ? ` ${line}` : line.replace(/^ {1,2}/, "");
        break;
      default:
        lines.splice(at, 0, piece);
    }
  }
  return lines.join("\n");
}

Deno.test("loadYaml() chunked parse equals the whole-file parse on mutated flows", async () => {
  const seeds: string[] = [benchFlow(12)];
  for (const sub of ["valid", "invalid"]) {
    for await (const entry of Deno.readDir(join(ROOT, "testdata", "flows", sub))) {
      if (entry.isFile) seeds.push(await Deno.readTextFile(join(ROOT, "testdata", "flows", sub, entry.name)));
    }
  }
  seeds.sort();
  const rnd = prng(SEED);
  let chunked = 0;
  for (let i = 0; i < 1500; i++) {
    const text = mutate(seeds[i % seeds.length]!, rnd);
    if (assertSameAsWhole(text, `case ${i} (AF_FUZZ_SEED=${SEED})`) === "chunked") chunked++;
  }
  assert.ok(chunked > 100, `the chunked path was exercised (${chunked} times)`);
});
