import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../errors.ts";
import { loadEnvFile, loadEnvFiles, manifestEnvFileSpec, parseDotenv } from "./env_files.ts";

// Upstream parity dialect (docs/configuration.md).
const DOTENV_CASES = [
  ["plain", "A=1", { A: "1" }],
  ["export is part of the key", "export FOO=bar", { "export FOO": "bar" }],
  ["double quotes stripped", 'B="q v"', { B: "q v" }],
  ["single quotes stripped", "S='x y'", { S: "x y" }],
  ["no inline comments", "F=val # c", { F: "val # c" }],
  ["mismatched quotes stay", `D="x'`, { D: `"x'` }],
  ["lone quote becomes empty", 'Q="', { Q: "" }],
  ["split at first =", "U=a=b", { U: "a=b" }],
  ["key and value trimmed", "  K  =  v  ", { K: "v" }],
  ["comment, blank and =-less lines skipped", "# c\n\nnoequals\nA=1", { A: "1" }],
  ["empty key skipped", "=v", {}],
  ["no escapes", String.raw`E="a\nb"`, { E: String.raw`a\nb` }],
  ["no interpolation", "I=${A}", { I: "${A}" }],
  ["CRLF lines", "A=1\r\nB=2\r\n", { A: "1", B: "2" }],
  ["later wins", "A=1\nA=2", { A: "2" }],
  ["__proto__ is an ordinary key", "__proto__=x", { ["__proto__"]: "x" }],
] as const;

Deno.test("parseDotenv() follows the upstream dialect", async (t) => {
  for (const [name, text, want] of DOTENV_CASES) {
    await t.step(name, () => {
      const got = parseDotenv(text);
      assert.deepStrictEqual(Object.entries(got), Object.entries(want));
    });
  }
});

async function _write(dir: string, name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await Deno.writeTextFile(p, text);
  return p;
}

Deno.test("loadEnvFiles() overlays dotenv, json and dir sources in order with prefixes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await _write(dir, "a.env", "A=1\nB=dotenv\n");
    await _write(dir, "b.json", '{"N":1,"B":true,"L":[1,2],"Z":null,"M":{"k":"v"},"F":1.5,"S":"s"}');
    await Deno.mkdir(join(dir, "secrets"));
    await Deno.mkdir(join(dir, "secrets", "sub"));
    await _write(join(dir, "secrets"), "TOKEN", "abc\n\n");
    await _write(join(dir, "secrets"), ".hidden", "h");
    const got = loadEnvFiles([
      { type: "dotenv", path: "a.env" },
      { type: " JSON ", path: join(dir, "b.json"), prefix: "P_" },
      { type: "dir-of-files", path: "secrets" },
      { type: null, path: "missing.env", optional: true },
    ], { cwd: dir });
    assert.deepStrictEqual(got, {
      A: "1",
      B: "dotenv",
      P_N: "1",
      P_B: "true",
      P_L: "[1,2]",
      P_M: '{"k":"v"}',
      P_F: "1.5",
      P_S: "s",
      ".hidden": "h",
      TOKEN: "abc",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadEnvFiles() rejects bad specs and files with exit-2 errors naming the file", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await _write(dir, "list.json", "[1]");
    await _write(dir, "bad.json", "{nope");
    await _write(dir, "f.env", "A=1");
    const cases = [
      ["missing file", { type: "dotenv", path: "nope.env" }, `Env file not found: ${join(dir, "nope.env")}`],
      ["json not an object", { type: "json", path: "list.json" }, "json env file must be a JSON object"],
      [
        "json unparsable",
        { type: "json", path: "bad.json" },
        `Invalid JSON in env file ${join(dir, "bad.json")}`,
      ],
      ["dir is a file", { type: "dir", path: "f.env" }, `Not a directory: ${join(dir, "f.env")}`],
      ["unsupported type as given", { type: "Yaml", path: "f.env" }, "Unsupported env_files type: Yaml"],
      ["spec not an object", "f.env", "env file spec must be an object"],
    ] as const;
    for (const [name, spec, msg] of cases) {
      await t.step(name, () => {
        assert.throws(() => loadEnvFiles([spec], { cwd: dir }), (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.equal(err.exitCode, 2);
          assert.ok(err.message.includes(msg), err.message);
          return true;
        });
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("manifestEnvFileSpec() reads a string entry as a dotenv path relative to the bundle dir", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await _write(dir, "b.env", "K=v");
    assert.deepStrictEqual(manifestEnvFileSpec("b.env"), {
      type: "dotenv",
      path: "b.env",
      optional: false,
      prefix: "",
    });
    assert.deepStrictEqual(loadEnvFile(manifestEnvFileSpec("b.env"), { cwd: dir }), { K: "v" });
    assert.throws(() => manifestEnvFileSpec(1), { message: "env file spec must be an object" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
