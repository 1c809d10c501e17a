// The upload manifest of `sftp_upload_files` (docs/steps.md "sftp_upload_files"): the ids already uploaded in this
// job run. Each finished upload is appended (and synced) to `<step_id>.manifest.jsonl` before the next result is
// reported, so a killed run resumes where it stopped; when every item is done the journal is folded into the
// pretty `<step_id>.manifest.json` (written via `.tmp`, then renamed) and removed.
import { join } from "node:path";
import type { JsonObject } from "../../types.ts";

export interface UploadRecord extends JsonObject {
  id: string;
}

export interface UploadManifest {
  path: string;
  /** Records of the ids already done, from the manifest and the journal. */
  done: Map<string, UploadRecord>;
  /** Append one finished upload (durable when it returns). Calls are serialised. */
  append(record: UploadRecord): Promise<void>;
  /** Write the final manifest with `records` (input order) and drop the journal. */
  finish(records: UploadRecord[]): Promise<void>;
}

function _records(value: unknown): UploadRecord[] {
  const list = Array.isArray(value)
    ? value
    : value && typeof value === "object" && Array.isArray((value as { items?: unknown }).items)
    ? (value as { items: unknown[] }).items
    : [];
  return list.filter((r): r is UploadRecord =>
    r !== null && typeof r === "object" && typeof (r as { id?: unknown }).id === "string"
  );
}

async function _readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

export async function openUploadManifest(dir: string, stepId: string): Promise<UploadManifest> {
  const path = join(dir, `${stepId}.manifest.json`);
  const journal = join(dir, `${stepId}.manifest.jsonl`);
  const done = new Map<string, UploadRecord>();
  const text = await _readText(path);
  if (text !== null) {
    try {
      for (const r of _records(JSON.parse(text))) done.set(r.id, r);
    } catch {
      // An unreadable manifest counts as absent [verified upstream]: everything is uploaded again.
    }
  }
  for (const line of (await _readText(journal))?.split("\n") ?? []) {
    try {
      for (const r of _records([JSON.parse(line)])) done.set(r.id, r);
    } catch {
      // A line cut by a crash: that upload is simply done again.
    }
  }
  let chain = Promise.resolve();
  return {
    path,
    done,
    append(record) {
      const next = chain.then(async () => {
        await Deno.mkdir(dir, { recursive: true });
        using f = await Deno.open(journal, { append: true, create: true });
        const bytes = new TextEncoder().encode(`${JSON.stringify(record)}\n`);
        let off = 0;
        while (off < bytes.length) off += await f.write(bytes.subarray(off));
        await f.syncData();
      });
      chain = next.catch(() => {});
      return next;
    },
    async finish(records) {
      await chain;
      await Deno.mkdir(dir, { recursive: true });
      const tmp = join(dir, `${stepId}.manifest.tmp`);
      await Deno.writeTextFile(tmp, `${JSON.stringify(records, null, 2)}\n`);
      await Deno.rename(tmp, path);
      await Deno.remove(journal).catch(() => {});
    },
  };
}
