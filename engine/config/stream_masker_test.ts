// The byte-level streaming masker (docs/secrets.md "Child process output", D18): a secret is masked however the
// child's output is cut into chunks, bytes that are not UTF-8 pass unchanged, long lines stay in bounded memory.
import assert from "node:assert/strict";
import { Masker } from "./masking.ts";
import { type ByteSecrets, LONG_LINE_BYTES, StreamMasker } from "./stream_masker.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Feed `chunks` through a fresh StreamMasker; returns every write, in order. */
async function run(secrets: ByteSecrets | null, chunks: readonly Uint8Array[]): Promise<Uint8Array[]> {
  const writes: Uint8Array[] = [];
  const sm = new StreamMasker(secrets, (bytes) => {
    writes.push(bytes);
    return Promise.resolve();
  });
  for (const chunk of chunks) await sm.push(chunk);
  await sm.end();
  return writes;
}

async function maskedText(secrets: ByteSecrets | null, chunks: readonly Uint8Array[]): Promise<string> {
  return dec.decode(concat(await run(secrets, chunks)));
}

function masker(...values: string[]): Masker {
  const m = new Masker();
  for (const v of values) m.add(v);
  return m;
}

/** Every way of cutting `bytes` in two, plus one byte per chunk. */
function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
  yield Array.from(bytes, (b) => Uint8Array.of(b));
}

Deno.test("StreamMasker masks a secret cut between two chunks at every byte, and in one-byte chunks", async () => {
  const m = masker("s3cr3t-Value-42");
  const input = enc.encode("before s3cr3t-Value-42 after\nnext line s3cr3t-Value-42\n");
  for (const chunks of splits(input)) {
    assert.equal(await maskedText(m, chunks), "before *** after\nnext line ***\n");
  }
});

Deno.test("StreamMasker never writes a part of a secret, whatever the cut", async () => {
  const secret = "tok-ZETA-9876";
  const m = masker(secret);
  const input = enc.encode(`xx${secret}yy`);
  for (const chunks of splits(input)) {
    for (const write of await run(m, chunks)) {
      const text = dec.decode(write);
      // No write may end with a proper prefix of the secret of 4+ bytes or start with its suffix.
      for (let k = 4; k < secret.length; k++) {
        assert.ok(!text.endsWith(secret.slice(0, k)), `write ${JSON.stringify(text)} ends a secret prefix`);
        assert.ok(!text.startsWith(secret.slice(secret.length - k)), `write ${JSON.stringify(text)}`);
      }
    }
  }
});

Deno.test("StreamMasker masks a UTF-8 secret cut inside a multi-byte character", async () => {
  const m = masker("pässwörd-ü€-1");
  const input = enc.encode("a pässwörd-ü€-1 b\n");
  for (const chunks of splits(input)) assert.equal(await maskedText(m, chunks), "a *** b\n");
});

Deno.test("StreamMasker passes bytes that are not UTF-8 through unchanged and masks secrets among them", async () => {
  const m = masker("hunter2-secret");
  const head = Uint8Array.of(0xff, 0xfe, 0x00, 0x80, 0xc3); // invalid UTF-8, a NUL and a cut lead byte
  const tail = Uint8Array.of(0x0a, 0xe2, 0x82, 0xff, 0x0d, 0x01);
  const input = concat([head, enc.encode("hunter2-secret"), tail]);
  const want = concat([head, enc.encode("***"), tail]);
  for (const chunks of splits(input)) assert.deepEqual(concat(await run(m, chunks)), want);
  // Without secrets the bytes are untouched too.
  for (const chunks of splits(input)) assert.deepEqual(concat(await run(null, chunks)), input);
});

Deno.test("StreamMasker with secrets sharing a prefix masks each whole, at every cut", async () => {
  const m = masker("tok-alpha-1234", "tok-alpha-12345678", "tok-alpha-99");
  const input = enc.encode(
    "a=tok-alpha-1234 b=tok-alpha-12345678 c=tok-alpha-99 d=tok-alpha-1 e=tok-alpha-123\n",
  );
  for (const chunks of splits(input)) {
    assert.equal(await maskedText(m, chunks), "a=*** b=*** c=*** d=tok-alpha-1 e=tok-alpha-123\n");
  }
});

Deno.test("StreamMasker masks overlapping occurrences of two secrets as one, leaving no byte of either", async () => {
  const m = masker("abcdXY", "XYZ-9876");
  const input = enc.encode("<abcdXYZ-9876>\n");
  for (const chunks of splits(input)) assert.equal(await maskedText(m, chunks), "<***>\n");
});

Deno.test("StreamMasker is line-buffered: it writes at each newline or carriage return", async () => {
  const writes: string[] = [];
  const sm = new StreamMasker(masker("zzzz-secret"), (bytes) => {
    writes.push(dec.decode(bytes));
    return Promise.resolve();
  });
  await sm.push(enc.encode("one\ntw"));
  assert.deepEqual(writes, ["one\n"]);
  await sm.push(enc.encode("o\r50%\r"));
  assert.deepEqual(writes, ["one\n", "two\r50%\r"]);
  await sm.push(enc.encode("partial"));
  assert.equal(sm.pendingBytes, "partial".length);
  await sm.end();
  assert.deepEqual(writes, ["one\n", "two\r50%\r", "partial"]);
});

Deno.test("StreamMasker writes a very long line in parts, in bounded memory, without cutting a secret", async () => {
  const secret = "LONG-line-secret-0123456789";
  const m = masker(secret);
  const block = "x".repeat(999) + secret; // the secret recurs every 1026 bytes, across every chunk boundary
  const total = 200;
  const writes: Uint8Array[] = [];
  const sm = new StreamMasker(m, (bytes) => {
    writes.push(bytes);
    return Promise.resolve();
  });
  const input = enc.encode(block.repeat(total));
  const chunk = 4093; // prime: the cuts fall everywhere in the block
  for (let at = 0; at < input.length; at += chunk) {
    await sm.push(input.subarray(at, at + chunk));
    assert.ok(sm.pendingBytes <= LONG_LINE_BYTES + chunk, `pending ${sm.pendingBytes}`);
  }
  assert.ok(writes.length > 1, "a long line is written before it ends");
  await sm.end();
  const out = dec.decode(concat(writes));
  assert.equal(out, ("x".repeat(999) + "***").repeat(total));
});

Deno.test("StreamMasker masks a secret registered while the stream runs", async () => {
  const m = masker("first-secret");
  const writes: string[] = [];
  const sm = new StreamMasker(m, (bytes) => {
    writes.push(dec.decode(bytes));
    return Promise.resolve();
  });
  await sm.push(enc.encode("first-secret later-secret\n"));
  m.add("later-secret");
  await sm.push(enc.encode("first-secret later-secret\n"));
  await sm.end();
  assert.deepEqual(writes, ["*** later-secret\n", "*** ***\n"]);
});

Deno.test("StreamMasker masks a short secret where printed as its key's value", async () => {
  const m = new Masker();
  m.addFromSnapshot({ API_TOKEN: "abc" });
  const input = enc.encode("API_TOKEN=abc\nabc stays\n");
  for (const chunks of splits(input)) assert.equal(await maskedText(m, chunks), "API_TOKEN=***\nabc stays\n");
});

Deno.test("StreamMasker masks a multi-line secret that straddles the line it flushes", async () => {
  // Only the whole value, not its lines: the straddling occurrence itself must be masked.
  const secret = "line-one-secret\nline-two";
  const only: ByteSecrets = {
    binarySecrets: () => [secret],
    maskShortBinary: (text) => text,
    shortSecretSpanBytes: 0,
  };
  const input = enc.encode(`xx ${secret} yy\nzz`);
  for (const chunks of splits(input)) assert.equal(await maskedText(only, chunks), "xx *** yy\nzz");
});
