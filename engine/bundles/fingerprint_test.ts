import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { bundleFingerprint, compareCodePoints, entrySignature, mtimeSig } from "./fingerprint.ts";

const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

Deno.test("bundleFingerprint() hashes the compact JSON of [rel_path, sig] pairs", () => {
  const fp = bundleFingerprint([
    { rel_path: "profiles.yaml", size: 3, mtime: 1700000000.123 },
    { rel_path: "flows/main.yaml", size: 23, mtime: 1700000000.123 },
  ]);
  assert.equal(
    fp,
    sha('[["flows/main.yaml","sz:23|mt_ms:1700000000123"],["profiles.yaml","sz:3|mt_ms:1700000000123"]]'),
  );
  assert.equal(bundleFingerprint([]), sha("[]"));
});

Deno.test("entrySignature() prefers sha256, then the git blob, then size and mtime", async (t) => {
  const CASES = [
    ["sha256", { rel_path: "a", sha256: "ab", blob: "cd", size: 1, mtime: 2 }, "sha256:ab"],
    ["git blob", { rel_path: "a", blob: "cd", size: 1, mtime: 2 }, "git:cd"],
    ["size and mtime", { rel_path: "a", size: 5, mtime: 1.5 }, "sz:5|mt_ms:1500"],
    ["unknown mtime", { rel_path: "a", size: null, mtime: null }, "sz:0|mt_ms:0"],
  ] as const;
  for (const [name, entry, want] of CASES) {
    await t.step(name, () => assert.equal(entrySignature(entry), want));
  }
});

Deno.test("mtimeSig() truncates to whole milliseconds the same way every time", () => {
  assert.equal(mtimeSig(1700000000.123), 1700000000123);
  assert.equal(mtimeSig(1700000000.1239), 1700000000123);
  assert.equal(mtimeSig(0), 0);
});

Deno.test("compareCodePoints() orders by code point, not UTF-16 unit", () => {
  // U+FF5E (one unit) sorts before U+1F600 (a surrogate pair), though "\uD83D" < "\uFF5E" in UTF-16.
  assert.equal(compareCodePoints("\u{FF5E}", "\u{1F600}"), -1);
  assert.equal(["\u{1F600}", "\u{FF5E}", "a"].sort(compareCodePoints).join(","), "a,\u{FF5E},\u{1F600}");
  // Non-ASCII text is kept unescaped in the hashed JSON.
  assert.equal(bundleFingerprint([{ rel_path: "é", sha256: "x" }]), sha('[["é","sha256:x"]]'));
});
