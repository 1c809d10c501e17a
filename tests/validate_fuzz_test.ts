// Fuzz: mutated testdata flows must always give a report (or a SpecError/UsageError), never any other
// exception — in-process for the bulk, and a sample through the real CLI (exit 0 or 2, no stack trace).
import assert from "node:assert/strict";
import { join } from "node:path";
import { SpecError, UsageError } from "../engine/errors.ts";
import { validateFlowSource } from "../engine/flow/mod.ts";
import { StepRegistry } from "../engine/steps/registry.ts";
import { ROOT, runCli, tempDir } from "./_helpers.ts";
import { prng } from "./_prng.ts";

const SEED = Number(Deno.env.get("AF_FUZZ_SEED") ?? "20261128");
const RUNS = 1200;
const CLI_RUNS = 20;

const SCALARS = [
  "[]",
  "{}",
  "null",
  "~",
  "1.5",
  "-3",
  "yes",
  "no",
  "0x10",
  "2024-01-02",
  "'{{'",
  '"${X}"',
  "'{{ env.A }}'",
  "{{",
  "}}",
  "- a",
  "[1, [2, {a: b}]]",
  "&x 1",
  "*x",
  "!!binary aGk=",
  "'\\u0000'",
  '"\\t"',
  "|\n  text",
  ">-",
  "@",
  "`",
  "{a: 1, a: 2}",
  "on",
  "1_000",
  "''",
  "!!str",
  "? a",
  "<<: {a: 1}",
];
const JUNK = [
  "\u0000",
  "\t",
  "\r",
  "\uFEFF",
  ":",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "#",
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
  "\\",
  '"',
  "'",
];

async function corpus(): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ["valid", "invalid"]) {
    const dir = join(ROOT, "testdata", "flows", sub);
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && (entry.name.endsWith(".yaml") || entry.name.endsWith(".yaml.txt"))) {
        out.push(await Deno.readTextFile(join(dir, entry.name)));
      }
    }
  }
  return out.sort();
}

/** One mutation of `text` as bytes (some mutations are not valid UTF-8 on purpose). */
function mutate(text: string, rnd: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const lines = text.split("\n");
  const at = Math.floor(rnd() * lines.length);
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds; r++) {
    switch (Math.floor(rnd() * 8)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[at] ?? "");
        break;
      case 2: {
        const other = Math.floor(rnd() * lines.length);
        [lines[at], lines[other]] = [lines[other] ?? "", lines[at] ?? ""];
        break;
      }
      case 3: {
        // Swap a value for one of another type.
        const line = lines[at] ?? "";
        const colon = line.indexOf(": ");
        lines[at] = colon >= 0 ? `${line.slice(0, colon + 2)}${pick(SCALARS)}` : `${line}${pick(SCALARS)}`;
        break;
      }
      case 4: {
        const line = lines[at] ?? "";
        const pos = Math.floor(rnd() * (line.length + 1));
        lines[at] = line.slice(0, pos) + pick(JUNK) + line.slice(pos);
        break;
      }
      case 5:
        lines[at] = (rnd() < 0.5 ? " " : "") + (lines[at] ?? "").slice(rnd() < 0.5 ? 1 : 0);
        break;
      case 6:
        lines.length = Math.max(0, Math.floor(rnd() * lines.length));
        break;
      default: {
        // Random raw bytes, possibly invalid UTF-8.
        const bytes = new TextEncoder().encode(lines.join("\n"));
        const copy = new Uint8Array(bytes.length + 4);
        copy.set(bytes);
        for (let i = 0; i < 4; i++) copy[bytes.length + i] = Math.floor(rnd() * 256);
        return copy;
      }
    }
  }
  return new TextEncoder().encode(lines.join("\n"));
}

Deno.test("validateFlowSource() never throws anything but SpecError/UsageError on mutated flows", async () => {
  const seeds = await corpus();
  assert.ok(seeds.length >= 4, "testdata/flows holds the fuzz corpus");
  const registry = StepRegistry.withBuiltins();
  const rnd = prng(SEED);
  for (let i = 0; i < RUNS; i++) {
    const source = mutate(seeds[i % seeds.length]!, rnd);
    try {
      const report = validateFlowSource({ flowYaml: "f.yaml", source, snapshot: {}, registry });
      assert.equal(typeof report.ok, "boolean");
      assert.equal(report.ok, report.errors.length === 0);
    } catch (err) {
      if (err instanceof SpecError || err instanceof UsageError) continue;
      const text = new TextDecoder().decode(source);
      throw new Error(
        `fuzz case ${i} failed (AF_FUZZ_SEED=${SEED} reproduces it): ${
          err instanceof Error ? err.stack : err
        }\n` +
          `--- input ---\n${text}`,
      );
    }
  }
});

Deno.test("aetherflow validate exits 0 or 2 without a stack trace on mutated flows", async () => {
  const seeds = await corpus();
  const rnd = prng(SEED ^ 0x5eed);
  await using dir = await tempDir();
  const files: string[] = [];
  for (let i = 0; i < CLI_RUNS; i++) {
    const path = join(dir.path, `m${i}.yaml`);
    await Deno.writeFile(path, mutate(seeds[i % seeds.length]!, rnd));
    files.push(path);
  }
  // A few at a time: each run is a separate deno process.
  for (let i = 0; i < files.length; i += 5) {
    const results = await Promise.all(files.slice(i, i + 5).map((f) => runCli(["validate", f, "--json"])));
    results.forEach((res, k) => {
      const where = `${files[i + k]} (AF_FUZZ_SEED=${SEED})`;
      assert.ok(res.code === 0 || res.code === 2, `exit ${res.code} for ${where}: ${res.stderr}`);
      assert.doesNotMatch(res.stderr, /^\s+at /m, `stack trace for ${where}`);
      assert.equal(res.stdout.trimEnd().split("\n").length, 1, `one JSON line for ${where}`);
      JSON.parse(res.stdout);
    });
  }
});
