import assert from "node:assert/strict";
import {
  formatHostPattern,
  type HostPattern,
  intersectHostPatterns,
  parseHostPattern,
  patternMatches,
} from "./host_pattern.ts";

function parsed(text: string): HostPattern {
  const p = parseHostPattern(text, { allowAny: true });
  if (typeof p === "string") throw new Error(p);
  return p;
}

Deno.test("parseHostPattern() accepts the documented grammar, canonicalised", () => {
  const CASES: [string, string][] = [
    ["api.example.com", "api.example.com"],
    ["API.Example.COM", "api.example.com"],
    ["*.example.com", "*.example.com"],
    ["*.internal", "*.internal"],
    ["localhost", "localhost"],
    ["api.example.com:8443", "api.example.com:8443"],
    ["*.example.com:443", "*.example.com:443"],
    ["127.0.0.1", "127.0.0.1"],
    ["127.0.0.1:9000", "127.0.0.1:9000"],
    ["[::1]", "[::1]"],
    ["[0:0::1]:8080", "[::1]:8080"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
  ];
  for (const [text, want] of CASES) assert.equal(formatHostPattern(parsed(text)), want, text);
});

Deno.test("parseHostPattern() refuses globs, negations and anything else a matcher could misread", () => {
  const REFUSED = [
    "",
    "*",
    "**",
    "!x.example.com",
    "x.example.com!",
    "*example.com",
    "a*.example.com",
    "*.*.example.com",
    "**.example.com",
    "?.example.com",
    "[a-z].example.com",
    "{a,b}.example.com",
    "example.com.",
    ".example.com",
    "exa mple.com",
    " example.com",
    "example.com/path",
    "http://example.com",
    "user@example.com",
    "example.com:",
    "example.com:0",
    "example.com:65536",
    "example.com:08",
    "example.com:80:80",
    "-a.example.com",
    "a-.example.com",
    "127.1",
    "0x7f.0.0.1",
    "host.123",
    "*.127.0.0.1",
    "::1",
    "[::1",
    "[zz::1]",
    "bücher.example",
    `${"a".repeat(64)}.example.com`,
    `${"a.".repeat(127)}com`,
  ];
  for (const text of REFUSED) assert.equal(typeof parseHostPattern(text), "string", JSON.stringify(text));
  // A plugin may ask for any host (the operator's grant decides); an operator may not grant one.
  assert.equal(formatHostPattern(parsed("*")), "*");
  assert.equal(typeof parseHostPattern("*:80", { allowAny: true }), "string");
});

Deno.test("patternMatches() checks host and port as the URL parser normalised them", () => {
  const w = parsed("*.example.com");
  assert.equal(patternMatches(w, "a.example.com", 443), true);
  assert.equal(patternMatches(w, "a.b.example.com", 80), true);
  assert.equal(patternMatches(w, "example.com", 443), false);
  assert.equal(patternMatches(w, "evilexample.com", 443), false);
  assert.equal(patternMatches(w, "", 443), false);
  const p = parsed("127.0.0.1:9000");
  assert.equal(patternMatches(p, "127.0.0.1", 9000), true);
  assert.equal(patternMatches(p, "127.0.0.1", 9001), false);
  assert.equal(patternMatches(parsed("localhost"), "localhost", 1), true);
});

Deno.test("intersectHostPatterns() yields what both sides allow, or null", () => {
  const CASES: [string, string, string | null][] = [
    ["api.example.com", "*.example.com", "api.example.com"],
    ["*.example.com", "api.example.com", "api.example.com"],
    ["*.a.example.com", "*.example.com", "*.a.example.com"],
    ["*.example.com", "*.example.com", "*.example.com"],
    ["example.com", "*.example.com", null],
    ["api.example.com:8443", "api.example.com", "api.example.com:8443"],
    ["api.example.com", "api.example.com:8443", "api.example.com:8443"],
    ["api.example.com:80", "api.example.com:8443", null],
    ["a.example.com", "b.example.com", null],
    ["*", "*.example.com", "*.example.com"],
    ["*", "api.example.com:8443", "api.example.com:8443"],
  ];
  for (const [a, b, want] of CASES) {
    const got = intersectHostPatterns(parsed(a), parsed(b));
    assert.equal(got === null ? null : formatHostPattern(got), want, `${a} ∩ ${b}`);
  }
});
