import assert from "node:assert/strict";
import { Masker } from "../config/masking.ts";
import { CAPTURE_LOOKAHEAD_BYTES, CaptureBuffer } from "./_output_capture.ts";

const enc = new TextEncoder();

function capped(cap: number, ...chunks: string[]): CaptureBuffer {
  const b = new CaptureBuffer(cap);
  for (const c of chunks) b.push(enc.encode(c));
  return b;
}

Deno.test("CaptureBuffer.text(mask) keeps no part of a secret the cap cuts through", () => {
  const m = new Masker();
  m.add("SECRET-VALUE-123");
  const mask = (t: string) => m.mask(t);
  // The cap (10 bytes) falls 6 characters into the secret, which arrives in two chunks.
  const cut = capped(10, "abcdSECR", "ET-VALUE-123 tail");
  assert.equal(cut.text(), "abcdSECRET", "without a masker the bytes are cut as they are");
  assert.equal(cut.text(mask), "abcd");
  assert.equal(cut.truncated, true);
  // A secret wholly inside the kept part is masked; the text after it is kept up to the cut.
  assert.equal(capped(24, "SECRET-VALUE-123 and more text").text(mask), "*** and mor");
  // Nothing is cut: the text is returned as is (the runner masks it where it is written).
  assert.equal(capped(100, "SECRET-VALUE-123").text(mask), "SECRET-VALUE-123");
});

Deno.test("CaptureBuffer keeps at most CAPTURE_LOOKAHEAD_BYTES past the cap", () => {
  const b = new CaptureBuffer(4);
  for (let i = 0; i < 10; i++) b.push(new Uint8Array(CAPTURE_LOOKAHEAD_BYTES / 2));
  assert.equal(b.droppedBytes, 10 * (CAPTURE_LOOKAHEAD_BYTES / 2) - 4);
  assert.equal(b.text((t) => t).length, 4);
});
