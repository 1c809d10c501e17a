import assert from "node:assert/strict";
import { AetherflowError } from "../errors.ts";
import { TemplateError } from "../resolver/mod.ts";
import { Masker } from "./masking.ts";
import { buildResources, mergeProfileIntoResource } from "./resources.ts";
import { prefixProvider } from "./secrets.ts";

Deno.test("mergeProfileIntoResource() matches the verified example of docs/configuration.md", () => {
  const profile = {
    config: { a: 1, h: { x: 1, y: 2 }, l: [1, 2] },
    decode: { config: { h: { x: true } }, config_paths: ["a"] },
  };
  const resource = {
    config: { h: { y: 3 }, l: [9], b: "{{env.B:bb}}" },
    decode: { config: { h: { y: true } }, config_paths: ["a", "b"] },
  };
  const got = mergeProfileIntoResource(profile, resource);
  assert.deepStrictEqual(got.config, { a: 1, h: { x: 1, y: 3 }, l: [9], b: "{{env.B:bb}}" });
  assert.deepStrictEqual(got.options, {});
  assert.deepStrictEqual(got.decode, { config: { h: { x: true, y: true } }, config_paths: ["a", "b"] });
  assert.deepStrictEqual(profile.config.h, { x: 1, y: 2 }, "profile not mutated");
});

Deno.test("buildResources() merges, renders and decodes in YAML order", async () => {
  const masker = new Masker();
  const got = await buildResources({
    flowResources: {
      r1: {
        kind: "rest",
        driver: "http",
        config: { token: "{{env.TOKEN}}", b: "{{env.B:bb}}" },
        decode: { config: { token: true } },
      },
      ora: { kind: "db", driver: "cx_oracle", profile: "oracle_main" },
    },
    profiles: {
      oracle_main: {
        config: { user: "{{env.ORA_USER:scott}}", port: "{{env.PORT:1521}}" },
        options: { cache: "none" },
      },
    },
    snapshot: { TOKEN: "abc" },
    secrets: prefixProvider(),
    masker,
    mode: "internal_fast",
    archiveAllowList: [],
  });
  assert.deepStrictEqual(Object.keys(got), ["r1", "ora"]);
  assert.deepStrictEqual(got.r1, {
    kind: "rest",
    driver: "http",
    config: { token: "DEC(abc)", b: "bb" },
    options: {},
    decode: { config: { token: true } },
  });
  assert.deepStrictEqual(got.ora?.config, { user: "scott", port: 1521 });
  assert.deepStrictEqual(got.ora?.options, { cache: "none" });
  assert.equal(masker.mask("DEC(abc)"), "***");
});

Deno.test("buildResources() fails on an unknown profile and on an enterprise archive driver", async () => {
  const base = { profiles: {}, snapshot: {}, archiveAllowList: ["pyzipper", "zipfile"] } as const;
  await assert.rejects(
    buildResources({
      ...base,
      mode: "internal_fast",
      flowResources: { r: { kind: "db", driver: "pg", profile: "p" } },
    }),
    (err: unknown) =>
      err instanceof AetherflowError && err.message === "Unknown profile 'p' for resource 'r'",
  );
  await assert.rejects(
    buildResources({ ...base, mode: "enterprise", flowResources: { z: { kind: "archive", driver: "os" } } }),
    (err: unknown) =>
      err instanceof AetherflowError &&
      err.message ===
        'Enterprise mode requires resources.z.driver to be one of ["pyzipper","zipfile"] for kind=archive. Got: "os"',
  );
  const ok = await buildResources({
    ...base,
    mode: "enterprise",
    flowResources: { z: { kind: "archive", driver: "zipfile" } },
  });
  assert.equal(ok.z?.driver, "zipfile");
});

Deno.test("buildResources() reports a disallowed root as a template syntax error", async () => {
  await assert.rejects(
    buildResources({
      flowResources: { r: { kind: "db", driver: "pg", config: { x: "{{steps.a.b}}" } } },
      profiles: {},
      snapshot: {},
      mode: "internal_fast",
      archiveAllowList: [],
    }),
    (err: unknown) => err instanceof TemplateError && err.kind === "syntax",
  );
});
