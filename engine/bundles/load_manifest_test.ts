import assert from "node:assert/strict";
import { join } from "node:path";
import { loadManifest, ManifestError, parseManifest } from "./load_manifest.ts";

const OK = `bundle:
  id: b1
  source: {type: filesystem, base_path: src}
  layout: {profiles_file: profiles.yaml}
  entry_flow: flows/main.yaml
`;

function issues(text: string): string[] {
  const r = parseManifest(text, { file: "m.yaml" });
  return r.manifest ? [] : r.issues.map((i) => `${i.loc}: ${i.msg}`);
}

const REJECTED = [
  ["typo with a hint", OK + "  fetch_polciy: always\n", [
    "bundle.fetch_polciy: Unknown bundle keys: bundle.fetch_polciy (did you mean 'fetch_policy'?)",
  ]],
  ["version 2", "version: 2\n" + OK, ["version: Unsupported bundle manifest version: 2"]],
  ["version abc", 'version: "abc"\n' + OK, ['version: Invalid manifest version: "abc"']],
  ["mode", "mode: prod\n" + OK, ["mode: manifest.mode must be one of: internal_fast, enterprise"]],
  ["empty document", "", ["bundle: manifest.bundle is required and must be a mapping"]],
  ["not a mapping", "- a\n- b\n", ["<root>: Bundle manifest must be a YAML mapping (object)"]],
  ["unsafe id", OK.replace("id: b1", "id: ../x"), [
    "bundle.id: bundle.id is required and must be a non-empty string of letters, digits, '.', '_' and '-' " +
    'starting with a letter or digit: "../x"',
  ]],
  ["int id", OK.replace("id: b1", "id: 5"), [
    "bundle.id: bundle.id is required and must be a non-empty string",
  ]],
  ["no profiles_file", OK.replace("profiles_file: profiles.yaml", "plugins_dir: plugins"), [
    "bundle.layout.profiles_file: bundle.layout.profiles_file is required and must be a non-empty string",
  ]],
  ["escaping entry_flow", OK.replace("flows/main.yaml", "../main.yaml"), [
    "bundle.entry_flow: bundle.entry_flow must stay inside the bundle ('..' segment): ../main.yaml",
  ]],
  ["absolute entry_flow", OK.replace("flows/main.yaml", "/etc/x.yaml"), [
    "bundle.entry_flow: bundle.entry_flow must be a path relative to the bundle: /etc/x.yaml",
  ]],
  ["fetch policy", OK + "  fetch_policy: sometimes\n", [
    "bundle.fetch_policy: bundle.fetch_policy must be one of: cache_check, always",
  ]],
  ["unknown source type", OK.replace("type: filesystem", "type: ftp"), [
    "bundle.source.type: Unsupported bundle.source.type: ftp",
  ]],
  ["key of another type", OK.replace("base_path: src", "url: x"), [
    "bundle.source.url: Unknown bundle keys: bundle.source.url (only valid for source.type=git)",
  ]],
  ["sftp without resource", OK.replace("type: filesystem, base_path: src", "type: sftp"), [
    "bundle.source.resource: bundle.source.resource is required for source.type=sftp",
  ]],
  [
    "resource with a profile",
    OK.replace("type: filesystem, base_path: src", "type: sftp, resource: r") +
    "resources:\n  r: {kind: sftp, driver: paramiko, profile: p1}\n",
    [
      "resources.r.profile: manifest is bootstrap; profiles not available before sync",
    ],
  ],
  ["resource key", OK + "resources:\n  r: {kind: sftp, driver: paramiko, config_env: {}}\n", [
    "resources.r.config_env: Unknown bundle keys: resources.r.config_env",
  ]],
  ["resources not a map", OK + "resources: [1]\n", [
    "resources: manifest.resources must be a mapping when provided",
  ]],
  [
    "archive url without sha256",
    OK.replace("type: filesystem, base_path: src", "type: archive, url: https://h/b.zip"),
    [
      "bundle.source.sha256: bundle.source.sha256 is required with bundle.source.url",
    ],
  ],
  ["archive http url", OK.replace("type: filesystem, base_path: src", "type: archive, url: http://h/b.zip"), [
    "bundle.source.url: bundle.source.url must be an https:// URL: http://h/b.zip",
  ]],
  [
    "git ref and commit",
    OK.replace("type: filesystem, base_path: src", "type: git, url: u, ref: main, commit: abcdef1"),
    [
      "bundle.source.commit: bundle.source: give ref or commit, not both",
    ],
  ],
  ["zip driver", OK + "zip_drivers: [os, rar]\n", [
    'zip_drivers: zip_drivers must be a list of: pyzipper, zipfile, os, external; got "rar"',
  ]],
  ["env file object", OK + "env_files: [{type: xml, path: a}]\n", [
    "env_files[0]: env_files[0].type must be one of: dotenv, json, dir, directory, dir-of-files",
  ]],
  ["plugin pin", OK + "plugins: [{path: p.wasm, sha256: abc, grant: {}}]\n", [
    "plugins[0].sha256: must be 64 lowercase hex digits",
    "plugins[0].grant: Unknown bundle keys: plugins[0].grant (did you mean 'grants'?)",
  ]],
] as const;

Deno.test("parseManifest() rejects bad manifests with the contract messages", async (t) => {
  for (const [name, text, want] of REJECTED) {
    await t.step(name, () => assert.deepEqual(issues(text), want));
  }
});

Deno.test("parseManifest() reports every problem at once, with line:col", () => {
  const r = parseManifest(
    "mode: prod\nbundle:\n  id: b1\n  source: {type: git}\n  layout: {}\n  entry_flow: f.yaml\n  fetch_polciy: x\n",
    { file: "m.yaml" },
  );
  assert.equal(r.manifest, undefined);
  const where = r.issues.map((i) => `${i.loc}@${i.line}:${i.col}`);
  assert.deepEqual(where, [
    "mode@1:7",
    "bundle.source.url@4:11",
    "bundle.layout.profiles_file@5:11",
    "bundle.fetch_polciy@7:3",
  ]);
});

Deno.test("parseManifest() applies defaults and normalises", () => {
  const r = parseManifest(
    OK.replace("type: filesystem", "type: LOCAL ") + 'version: "1"\nmode: " Enterprise"\n' +
      'env_files: ["env/common.env", {format: json, path: env/x.json, prefix: P_, optional: "yes"}]\n' +
      "paths: {plugins: 'a, ,b'}\n",
    { file: "m.yaml" },
  );
  assert.ok(r.manifest);
  const m = r.manifest;
  assert.equal(m.version, 1);
  assert.equal(m.mode, "enterprise");
  assert.equal(m.bundle.source.type, "filesystem");
  assert.equal(m.bundle.fetch_policy, "cache_check");
  assert.deepEqual(m.zip_drivers, ["pyzipper", "zipfile"]);
  assert.deepEqual(m.paths.plugins, ["a", "b"]);
  assert.deepEqual(m.env_files, [
    { type: "dotenv", path: "env/common.env", optional: false, prefix: "" },
    { type: "json", path: "env/x.json", optional: true, prefix: "P_" },
  ]);
  assert.deepEqual(m.resources, {});
  assert.deepEqual(m.plugins, []);
});

Deno.test("parseManifest() accepts `rest` as the http source and names a known resource", () => {
  const r = parseManifest(
    OK.replace("type: filesystem, base_path: src", "type: rest, resource: idx") +
      "resources:\n  idx: {kind: rest, driver: httpx, config: {base_url: 'http://h'}}\n",
    { file: "m.yaml" },
  );
  assert.ok(r.manifest);
  assert.equal(r.manifest.bundle.source.type, "http");
  const bad = parseManifest(OK.replace("type: filesystem, base_path: src", "type: db, resource: nope"), {
    file: "m.yaml",
  });
  assert.deepEqual(bad.issues.map((i) => i.msg), [
    "bundle.source.resource names no entry of manifest.resources: nope",
  ]);
});

Deno.test("loadManifest() names a missing file and throws every issue as one ManifestError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadManifest(join(dir, "nope.yaml")), {
      code: "manifest:not_found",
      exitCode: 2,
      message: `Bundle manifest not found: ${join(dir, "nope.yaml")}`,
    });
    await Deno.writeTextFile(join(dir, "m.yaml"), OK + "  fetch_polciy: x\n");
    const err = await loadManifest(join(dir, "m.yaml")).catch((e) => e);
    assert.ok(err instanceof ManifestError);
    assert.equal(err.exitCode, 2);
    assert.match(
      err.message,
      /Unknown bundle keys: bundle\.fetch_polciy \(did you mean 'fetch_policy'\?\) \(.*m\.yaml:6:3\)/,
    );
    const m = await (async () => {
      await Deno.writeTextFile(join(dir, "m.yaml"), OK);
      return await loadManifest(join(dir, "m.yaml"));
    })();
    assert.equal(m.dir, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
