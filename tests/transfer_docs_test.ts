// The example flows of docs/steps.md (zip, unzip, mail_send) and docs/connectors.md (archive, mail:smtp,
// rest:httpx) validate; the zip example runs and writes an AES archive.
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runCli, tempDir } from "./_helpers.ts";

/** Every ```yaml block of `section` (from its `## ` heading to the next one) that is a whole flow. */
async function flowBlocks(doc: string, headings: string[]): Promise<Record<string, string>> {
  const text = await Deno.readTextFile(join(ROOT, "docs", doc));
  const out: Record<string, string> = {};
  for (const heading of headings) {
    const start = text.indexOf(`\n## ${heading}\n`);
    assert.ok(start >= 0, `${doc} has a section ${heading}`);
    const end = text.indexOf("\n## ", start + 1);
    const section = text.slice(start, end === -1 ? undefined : end);
    const blocks = [...section.matchAll(/```yaml\n([^]*?)```/g)].map((m) => m[1]!).filter((b) =>
      b.startsWith("flow:")
    );
    assert.ok(blocks.length > 0, `${doc} ${heading} has an example flow`);
    blocks.forEach((b, i) => (out[`${doc} ${heading} #${i + 1}`] = b));
  }
  return out;
}

/** The flow with its workspace and state moved into `dir`. */
function placed(flow: string, dir: string): string {
  const out = flow.replace(
    /^flow: \{ ?id: ([a-z_]+) ?\}/,
    `flow: {id: $1, workspace: {root: ${dir}/ws, cleanup_policy: never}, state: {path: ${dir}/state.sqlite}}`,
  );
  assert.notEqual(out, flow, "the example starts with flow: {id: …}");
  return out;
}

Deno.test("docs: the zip/unzip/mail_send and connector example flows validate", async () => {
  const flows = {
    ...await flowBlocks("steps.md", ["zip", "unzip", "mail_send"]),
    ...await flowBlocks("connectors.md", ["archive", "mail:smtp", "rest:httpx"]),
  };
  await using dir = await tempDir();
  for (const [name, flow] of Object.entries(flows)) {
    const path = join(dir.path, "f.yaml");
    await Deno.writeTextFile(path, placed(flow, dir.path));
    const r = await runCli(["validate", path], { env: { API_TOKEN: "t", SMTP_PASSWORD: "p" } });
    assert.equal(r.code, 0, `${name}\n${r.stdout}${r.stderr}`);
  }
});

Deno.test("docs: the zip example runs and writes an AES archive of what the job made", async () => {
  const [flow] = Object.values(await flowBlocks("steps.md", ["zip"]));
  await using dir = await tempDir();
  const path = join(dir.path, "f.yaml");
  await Deno.writeTextFile(path, placed(flow!, dir.path));
  const r = await runCli(["run", path, "--run-id", "R"], { env: { EXPORT_ZIP_PASSWORD: "doc-example-pw" } });
  assert.equal(r.code, 0, r.stderr);
  const archive = join(dir.path, "ws/nightly_export/pack/R/artifacts/export_R.zip");
  const listing = await new Deno.Command("unzip", { args: ["-Z1", archive], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(listing.stdout).trim(), "out/stamp.txt");
});
