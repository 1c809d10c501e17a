import assert from "node:assert/strict";
import { isSecretKey, Masker } from "./masking.ts";

const KEY_CASES = [
  ["DB_PASSWORD", true],
  ["ora_pass", true],
  ["MY_PASSWD", true],
  ["API_TOKEN", true],
  ["AWS_SECRET_ACCESS_KEY", true],
  ["GCP_CREDENTIALS", true],
  ["ssh_private", true],
  ["PWD", false],
  ["OLDPWD", false],
  ["HOME", false],
  ["ORA_USER", false],
] as const;

Deno.test("isSecretKey() matches secret-like names case-insensitively", async (t) => {
  for (const [key, want] of KEY_CASES) await t.step(key, () => assert.equal(isSecretKey(key), want));
});

Deno.test("Masker.mask() replaces decoded and secret-key values, longest first", () => {
  const m = new Masker();
  m.addFromSnapshot({ TOKEN: "abcd", DB_PASSWORD: "s3cr3t", HOME: "/home/u", PWD: "/work" });
  m.add("DEC(abcd)");
  assert.equal(
    m.mask("t=abcd d=DEC(abcd) p=s3cr3t h=/home/u w=/work"),
    "t=*** d=*** p=*** h=/home/u w=/work",
  );
});

Deno.test("Masker masks short secret values only as that key's value", () => {
  const m = new Masker();
  m.addFromSnapshot({ TOKEN: "abc" });
  assert.equal(m.mask("TOKEN=abc and abc"), "TOKEN=*** and abc");
  assert.equal(m.mask('{"TOKEN":"abc"}'), '{"TOKEN":"***"}');
  assert.deepStrictEqual(m.maskJson({ TOKEN: "abc", other: "abc" }), { TOKEN: "***", other: "abc" });
});

Deno.test("Masker.maskJson() masks nested strings without mutating the input", () => {
  const m = new Masker();
  m.add("hunter22");
  const input = { a: ["x hunter22 y", 1, true, null], b: { c: "hunter22" } };
  assert.deepStrictEqual(m.maskJson(input), { a: ["x *** y", 1, true, null], b: { c: "***" } });
  assert.equal(input.b.c, "hunter22");
});

Deno.test("Masker masks the JSON-escaped form of a value with quotes", () => {
  const m = new Masker();
  m.add('pa"ss\\word');
  assert.equal(m.mask(JSON.stringify({ v: 'pa"ss\\word' })), '{"v":"***"}');
});

Deno.test("Masker masks each line of a multi-line secret, since process output is logged per line", () => {
  const m = new Masker();
  m.addFromSnapshot({
    SSH_PRIVATE_KEY:
      "-----BEGIN KEY-----\r\nMIIEpAIBAAKCAQEA\r\n  abc\r\n  yes-indented-line\n-----END KEY-----\n",
    DIR_TOKEN: "dirsecretvalue\r",
  });
  assert.equal(m.mask("line=MIIEpAIBAAKCAQEA"), "line=***");
  assert.equal(m.mask("line=yes-indented-line"), "line=***");
  assert.equal(m.mask("line=dirsecretvalue"), "line=***");
  // Lines shorter than 4 characters are not masked on their own (they would mask ordinary text).
  assert.equal(m.mask("abc and no"), "abc and no");
});

Deno.test("Masker ignores empty values", () => {
  const m = new Masker();
  m.add("");
  m.addFromSnapshot({ TOKEN: "" });
  assert.equal(m.size, 0);
  assert.equal(m.mask("abc"), "abc");
});

Deno.test("Masker keeps flag-like secret-key values out of free text so JSON stays valid", () => {
  const m = new Masker();
  m.addFromSnapshot({ SECRET_ENABLED: "true" });
  assert.equal(m.mask('{"ok":true}'), '{"ok":true}');
  assert.equal(m.mask("SECRET_ENABLED=true"), "SECRET_ENABLED=***");
});
