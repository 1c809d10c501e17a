// Credentials that are not under a secret-named env key are still masked (docs/secrets.md "Resource
// credentials"): passwords of credentialed URLs anywhere in the snapshot, and secret-named resource config keys.
import assert from "node:assert/strict";
import { Masker, urlPasswords } from "./masking.ts";
import { registerResourceSecrets } from "./resources.ts";

Deno.test("URL passwords are found raw and percent-decoded, in any text", () => {
  assert.deepEqual(urlPasswords("x postgresql+psycopg2://app:s3cr%40t@h/db y"), ["s3cr%40t", "s3cr@t"]);
  assert.deepEqual(urlPasswords("https://example.com/path?a=b"), []);
});

Deno.test("the snapshot registers URL passwords of any key; resources their secret-named keys and URLs", () => {
  const m = new Masker();
  m.addFromSnapshot({ WAREHOUSE_URL: "mysql://app:hunter2%21@db/sales" });
  assert.equal(
    m.mask("login app:hunter2! failed; url mysql://app:hunter2%21@db"),
    "login app:*** failed; url mysql://app:***@db",
  );
  const r = new Masker();
  registerResourceSecrets(r, {
    config: {
      user: "scott",
      password: "tiger-42",
      nested: { api_token: "tok-123456" },
      dsn: "exa://u:pw-9999@h",
    },
    options: { connect_args: { sslkey: "ab" } },
  });
  assert.equal(r.mask("tiger-42 tok-123456 pw-9999 scott ab"), "*** *** *** scott ab");
});
