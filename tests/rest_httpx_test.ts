// rest:httpx against in-process HTTP(S) servers: URL joining, headers and bearer, bodies (json, form,
// multipart, raw), HTTP errors returned not retried, transport errors retried on the clock, timeouts, a
// response cut mid-body, TLS verification / CA pinning / verify_ssl false, and secrets kept out of messages.
import assert from "node:assert/strict";
import { join } from "node:path";
import { displayUrl, joinUrl, restHttpx } from "../engine/connectors/drivers/rest_httpx.ts";
import type { RestConnector } from "../engine/connectors/kinds/mod.ts";
import { tempDir } from "./_helpers.ts";
import { openConnector, startFlakyProxy } from "./_connectors.ts";
import { startHttpServer } from "./_http_server.ts";
import { testCertificates } from "./_tls_certs.ts";

const TOKEN = "tok-3f9a77e1c2";

type _Rest = RestConnector & { call(method: string, args: unknown): Promise<unknown> };

function _freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("joinUrl() merges like httpx; displayUrl() drops user info and query", () => {
  assert.equal(joinUrl("https://h/api", "items"), "https://h/api/items");
  assert.equal(joinUrl("https://h/api", "/items"), "https://h/api/items");
  assert.equal(joinUrl("https://h/api", ""), "https://h/api/");
  assert.equal(joinUrl("https://h/api", "http://other/x"), "http://other/x");
  assert.throws(() => joinUrl("", "items"), {
    message: 'REST url "items" is relative and there is no base_url',
  });
  assert.equal(displayUrl("https://u:p@h:8443/a/b?token=x"), "https://h:8443/a/b?…");
});

Deno.test("rest:httpx: base_url, params, resource + request headers, bearer, json body; 4xx returned once", async () => {
  await using server = startHttpServer((req) => {
    const u = new URL(req.url);
    return u.pathname === "/api/missing"
      ? new Response("nope", { status: 404, headers: { "x-why": "gone" } })
      : Response.json({ path: u.pathname, q: u.search });
  });
  await using r = await openConnector<_Rest>(restHttpx, {
    base_url: `${server.origin}/api/`,
    headers: { "X-Team": "etl", "X-Api-Key": "k-123456" },
    bearer_token: TOKEN,
  });
  assert.deepEqual(r.secrets.sort(), ["k-123456", TOKEN].sort());
  const ok = await r.connector.request({
    method: "post",
    url: "/items",
    params: { page: "2" },
    headers: { "X-Req": "1" },
    json: { a: [1, "ü"] },
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.text), { path: "/api/items", q: "?page=2" });
  const seen = server.requests[0]!;
  assert.equal(seen.method, "POST");
  assert.equal(seen.headers.get("authorization"), `Bearer ${TOKEN}`);
  assert.equal(seen.headers.get("x-team"), "etl");
  assert.equal(seen.headers.get("x-req"), "1");
  assert.equal(seen.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(new TextDecoder().decode(seen.body)), { a: [1, "ü"] });

  const missing = await r.connector.request({ method: "GET", url: "missing" });
  assert.deepEqual([missing.status, missing.text, missing.headers["x-why"]], [404, "nope", "gone"]);
  assert.equal(server.requests.length, 2);
});

Deno.test("rest:httpx: an exact Authorization header wins over bearer_token; 5xx is returned, not retried", async () => {
  await using server = startHttpServer(() => new Response("down", { status: 503 }));
  await using r = await openConnector<_Rest>(restHttpx, {
    base_url: server.origin,
    headers: { Authorization: "Basic YWxhZGRpbjpvcGVu" },
    bearer_token: TOKEN,
  }, { retry: { max_attempts: 3 } });
  const res = await r.connector.request({ method: "GET", url: "x" });
  assert.equal(res.status, 503);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]!.headers.get("authorization"), "Basic YWxhZGRpbjpvcGVu");
  assert.deepEqual(r.clock.slept, []);
});

Deno.test("rest:httpx bodies: form data, raw content, multipart files with fields", async () => {
  await using dir = await tempDir();
  const seen: { type: string | null; form?: Record<string, string> }[] = [];
  await using server = startHttpServer(async (req) => {
    const type = req.headers.get("content-type");
    if (type?.startsWith("multipart/form-data")) {
      const form = await req.formData();
      const file = form.get("upload") as File;
      seen.push({ type, form: { note: String(form.get("note")), name: file.name, body: await file.text() } });
    } else seen.push({ type, form: { raw: await req.text() } });
    return new Response("ok");
  });
  await using r = await openConnector<_Rest>(restHttpx, { base_url: server.origin });
  await r.connector.request({ method: "POST", url: "f", data: { a: "1", b: "x y" } });
  await r.connector.request({
    method: "PUT",
    url: "c",
    content: "raw text",
    headers: { "Content-Type": "text/plain" },
  });
  const path = join(dir.path, "report.csv");
  await Deno.writeTextFile(path, "a,b\n1,2\n");
  await r.connector.request({
    method: "POST",
    url: "m",
    data: { note: "n1" },
    files: { upload: { local_path: path } },
  });
  assert.deepEqual(seen[0], { type: "application/x-www-form-urlencoded", form: { raw: "a=1&b=x+y" } });
  assert.deepEqual(seen[1], { type: "text/plain", form: { raw: "raw text" } });
  assert.deepEqual(seen[2]!.form, { note: "n1", name: "report.csv", body: "a,b\n1,2\n" });
});

Deno.test("rest:httpx transport errors: retried max_attempts extra times on the clock, then one clear error", async () => {
  const port = _freePort();
  await using r = await openConnector<_Rest>(restHttpx, {
    base_url: `http://127.0.0.1:${port}/v1`,
    bearer_token: TOKEN,
  }, { retry: { max_attempts: 2 } });
  await assert.rejects(
    r.connector.request({ method: "GET", url: "x", params: { key: "q-secret" } }),
    (e: Error) => {
      assert.match(
        e.message,
        new RegExp(
          `^REST request failed after 3 attempt\\(s\\): GET http://127\\.0\\.0\\.1:${port}/v1/x\\?…: .*refused`,
          "i",
        ),
      );
      assert.ok(!e.message.includes("q-secret") && !e.message.includes(TOKEN), e.message);
      return true;
    },
  );
  assert.deepEqual(r.clock.slept, [1000, 2000]);
  // `retries` is the fallback spelling; absent = no retry.
  await using legacy = await openConnector<_Rest>(restHttpx, { base_url: `http://127.0.0.1:${port}` }, {
    retries: 1,
  });
  await assert.rejects(legacy.connector.request({ method: "GET", url: "" }), /after 2 attempt\(s\)/);
  await using once = await openConnector<_Rest>(restHttpx, { base_url: `http://127.0.0.1:${port}` });
  await assert.rejects(once.connector.request({ method: "GET", url: "" }), /after 1 attempt\(s\)/);
});

Deno.test("rest:httpx: a server that never answers times out per attempt (options.timeout, request timeout)", async () => {
  let release!: () => void;
  const never = new Promise<void>((resolve) => (release = resolve));
  await using server = startHttpServer(async () => {
    await never;
    return new Response("late");
  });
  try {
    await using r = await openConnector<_Rest>(restHttpx, { base_url: server.origin }, {
      timeout: 0.2,
      retry: { max_attempts: 1 },
    });
    await assert.rejects(r.connector.request({ method: "GET", url: "slow" }), {
      message: `REST request failed after 2 attempt(s): GET ${server.origin}/slow: timed out after 0.2 s`,
    });
    await assert.rejects(
      r.connector.request({ method: "GET", url: "slow", timeout: 0.1 }),
      /timed out after 0\.1 s/,
    );
  } finally {
    release();
  }
});

Deno.test("rest:httpx: a response cut mid-body is a transport error and is retried", async () => {
  const payload = "x".repeat(200_000);
  await using server = startHttpServer(() => new Response(payload));
  const port = Number(new URL(server.origin).port);
  await using proxy = startFlakyProxy({ host: "127.0.0.1", port }, { drop: 1, afterServerBytes: 5_000 });
  await using r = await openConnector<_Rest>(restHttpx, { base_url: `http://127.0.0.1:${proxy.port}` }, {
    retry: { max_attempts: 1 },
  });
  const res = await r.connector.request({ method: "GET", url: "big" });
  assert.equal(res.text.length, payload.length);
  assert.equal(proxy.connections, 2);
  assert.deepEqual(r.clock.slept, [1000]);
  assert.equal(r.logs.filter((l) => l.startsWith("WARNING")).length, 1);
});

Deno.test("rest:httpx TLS: an unknown CA fails; ca_file pins it; verify_ssl false accepts it (also for POST bodies)", async () => {
  const certs = await testCertificates();
  await using server = startHttpServer(
    async (req) => new Response(`secure ${req.method} ${await req.text()}`),
    {
      tls: certs,
    },
  );
  await using strict = await openConnector<_Rest>(restHttpx, { base_url: server.origin });
  await assert.rejects(strict.connector.request({ method: "GET", url: "" }), (e: Error) => {
    assert.match(
      e.message,
      /^REST request failed after 1 attempt\(s\): GET https:\/\/localhost:\d+\/: .*UnknownIssuer/,
    );
    return true;
  });
  await using pinned = await openConnector<_Rest>(restHttpx, { base_url: server.origin }, {
    ca_file: certs.caCertPath,
  });
  assert.equal((await pinned.connector.request({ method: "GET", url: "" })).text, "secure GET ");
  await using lax = await openConnector<_Rest>(restHttpx, { base_url: server.origin }, { verify_ssl: false });
  const res = await lax.connector.request({ method: "POST", url: "p", json: { a: 1 } });
  assert.deepEqual([res.status, res.text], [200, 'secure POST {"a":1}']);
  assert.equal(res.headers["content-type"], "text/plain;charset=UTF-8");
});

Deno.test("rest:httpx: redirects are returned, not followed", async () => {
  await using server = startHttpServer((req) =>
    new URL(req.url).pathname === "/old"
      ? Response.redirect(`${server.origin}/new`, 302)
      : new Response("new")
  );
  await using r = await openConnector<_Rest>(restHttpx, { base_url: server.origin });
  const res = await r.connector.request({ method: "GET", url: "old" });
  assert.deepEqual([res.status, res.headers.location], [302, `${server.origin}/new`]);
  assert.equal(server.requests.length, 1);
});

Deno.test("rest:httpx call(): what plugins reach through af_connector_call", async () => {
  await using server = startHttpServer((req) => new Response(new URL(req.url).pathname));
  await using r = await openConnector<_Rest>(restHttpx, { base_url: `${server.origin}/b/` });
  assert.equal(await r.connector.call("base_url", {}), `${server.origin}/b`);
  assert.deepEqual(await r.connector.call("get", { url: "x" }), {
    status: 200,
    headers: (await r.connector.call("request", { method: "GET", url: "x" }) as { headers: unknown }).headers,
    text: "/b/x",
  });
  await assert.rejects(r.connector.call("headers", {}), { message: 'rest:httpx has no method "headers"' });
  await assert.rejects(r.connector.call("request", { url: "x" }), /rest:httpx request: method: /);
});
