import assert from "node:assert/strict";
import { DECODE_ERR, STRICT_ERR, TemplateError } from "../resolver/mod.ts";
import { Masker } from "./masking.ts";
import { applyDecode, collectDecodeRequests, NO_PROVIDER_WARNING, prefixProvider } from "./secrets.ts";

Deno.test("collectDecodeRequests() walks bool maps, then path lists, de-duplicated", () => {
  const got = collectDecodeRequests({
    config: { password: true, h: { x: true, y: false, z: null } },
    options: { k: true },
    config_paths: ["password", "h.w"],
    options_paths: [],
  });
  assert.deepStrictEqual(got, [
    { section: "config", path: "password" },
    { section: "config", path: "h.x" },
    { section: "options", path: "k" },
    { section: "config", path: "h.w" },
  ]);
});

const BAD_DECODE = [
  ["decode not a map", ["a"]],
  ["true at the section root", { config: true }],
  ["string leaf", { config: { a: "yes" } }],
  ["number leaf", { options: { a: 1 } }],
  ["paths not a list", { config_paths: "a" }],
  ["empty path", { config_paths: [""] }],
  ["non-string path", { options_paths: [1] }],
] as const;

Deno.test("collectDecodeRequests() rejects malformed specs as template syntax errors", async (t) => {
  for (const [name, decode] of BAD_DECODE) {
    await t.step(name, () => {
      assert.throws(() => collectDecodeRequests(decode), (err: unknown) => {
        assert.ok(err instanceof TemplateError);
        assert.equal(err.code, "template:syntax");
        assert.ok(err.message.startsWith(STRICT_ERR));
        return true;
      });
    });
  }
});

Deno.test("applyDecode() decodes string targets, registers them for masking, leaves the rest", async () => {
  const masker = new Masker();
  const rendered = { config: { token: "abc", n: 5, h: { x: "hx" } }, options: {} };
  const got = await applyDecode({
    raw: { config: { token: "{{env.TOKEN}}", n: 5, h: { x: "hx" } }, options: {} },
    rendered,
    decode: { config: { token: true, n: true, missing: true }, config_paths: ["h.x"] },
    provider: prefixProvider(),
    masker,
  });
  assert.deepStrictEqual(got, { config: { token: "DEC(abc)", n: 5, h: { x: "DEC(hx)" } }, options: {} });
  assert.equal(rendered.config.token, "abc", "input not mutated");
  assert.equal(masker.mask("got DEC(abc)"), "got ***");
});

Deno.test("applyDecode() refuses a concatenated target with DECODE_ERR", async () => {
  await assert.rejects(
    applyDecode({
      raw: { config: { token: "Bearer {{env.TOKEN}}" }, options: {} },
      rendered: { config: { token: "Bearer abc" }, options: {} },
      decode: { config: { token: true } },
      provider: prefixProvider(),
      where: "resources.r1",
    }),
    (err: unknown) =>
      err instanceof TemplateError && err.message === `${DECODE_ERR}\nat resources.r1.config.token`,
  );
});

Deno.test("applyDecode() warns and leaves values when no provider is configured", async () => {
  const warnings: string[] = [];
  const got = await applyDecode({
    raw: { config: { token: "{{ env.TOKEN }}" }, options: {} },
    rendered: { config: { token: "abc" }, options: {} },
    decode: { config: { token: true } },
    onWarning: (m) => warnings.push(m),
  });
  assert.deepStrictEqual(got.config, { token: "abc" });
  assert.deepStrictEqual(warnings, [NO_PROVIDER_WARNING]);
});
