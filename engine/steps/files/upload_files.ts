// `sftp_upload_files` (bounded parallel uploads with a resumable manifest) and `smb_upload_files` (sequential
// uploads to remote_dir/<basename>) (docs/steps.md "sftp_upload_files", "smb_upload_files").
import { basename, isAbsolute, join, resolve } from "node:path";
import { errorMessage, StepError } from "../../errors.ts";
import { fail, field, fields, isMap, toList } from "../../inputs/mod.ts";
import { defineStep, type StepResult } from "../types.ts";
import { checkAborted, filesConnector, SFTP_KIND, SMB_KIND } from "./_remote.ts";
import { openUploadManifest, type UploadRecord } from "./_upload_manifest.ts";

export interface UploadItem {
  file: string;
  id: string;
  remote_name: string;
}

const _ITEM_KEYS = ["file", "id", "remote_name"];

const _ITEMS = field((value, ctx): UploadItem[] => {
  const out: UploadItem[] = [];
  for (const raw of toList(value)) {
    if (typeof raw === "string" && raw !== "") {
      out.push({ file: raw, id: basename(raw), remote_name: basename(raw) });
      continue;
    }
    const unknown = isMap(raw) ? Object.keys(raw).filter((k) => !_ITEM_KEYS.includes(k)) : [];
    const ok = isMap(raw) && typeof raw.file === "string" && raw.file !== "" && unknown.length === 0 &&
      ["id", "remote_name"].every((k) => raw[k] == null || (typeof raw[k] === "string" && raw[k] !== ""));
    if (!ok) {
      return fail(ctx, "must be a list of paths or maps {file, id?, remote_name?} (non-empty strings)");
    }
    const m = raw as { file: string; id?: string | null; remote_name?: string | null };
    out.push({ file: m.file, id: m.id ?? basename(m.file), remote_name: m.remote_name ?? basename(m.file) });
  }
  return out;
}, { required: true });

/**
 * Run `task` over indexes 0..n-1 with at most `workers` at once. With `failFast`, no new task starts after a
 * failure. Returns the first failure in completion order, if any.
 */
export async function boundedRun(
  n: number,
  options: { workers: number; failFast: boolean },
  task: (i: number) => Promise<void>,
): Promise<{ index: number; error: unknown } | null> {
  let next = 0;
  let first: { index: number; error: unknown } | null = null;
  const worker = async () => {
    for (;;) {
      if (options.failFast && first !== null) return;
      const i = next++;
      if (i >= n) return;
      try {
        await task(i);
      } catch (error) {
        first ??= { index: i, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, Math.max(1, options.workers)) }, worker));
  return first;
}

export const sftpUploadFiles = defineStep({
  type: `${SFTP_KIND.prefix}_upload_files`,
  origin: "builtin",
  inputs: fields.fixedMap({
    resource: fields.text({ nonEmpty: true }),
    items: _ITEMS,
    remote_dir: fields.text({ scalars: true }),
    parallelism: fields.map({
      enabled: fields.bool({ default: true }),
      workers: fields.int({ default: 8, min: 1 }),
      fail_fast: fields.bool({ default: true }),
    }),
  }),
  connector: { input: "resource", kinds: ["sftp"], methods: ["upload"] },
  async run(input, ctx): Promise<StepResult> {
    const manifest = await openUploadManifest(ctx.manifestsDir, ctx.stepId);
    const remoteDir = input.remote_dir.replace(/\/+$/, "");
    const items = input.items;
    const records: UploadRecord[] = new Array(items.length);
    const todo = items.some((it) => !manifest.done.has(it.id));
    const conn = todo ? await filesConnector(SFTP_KIND, ctx, input.resource) : null;
    let skipped = 0;
    const one = async (i: number) => {
      const item = items[i]!;
      const before = manifest.done.get(item.id);
      if (before) {
        records[i] = { ...before, id: item.id, skipped: true };
        skipped++;
        return;
      }
      checkAborted(ctx);
      // Local paths are taken as given, relative to the working directory [verified upstream].
      const remotePath = `${remoteDir}/${item.remote_name}`;
      await conn!.upload({ local: resolve(item.file), remote: remotePath });
      const record = { id: item.id, file: item.file, remote_path: remotePath };
      await manifest.append(record);
      manifest.done.set(item.id, record);
      records[i] = record;
    };
    const p = input.parallelism;
    if (p.enabled && items.length > 1) {
      const failed = await boundedRun(items.length, { workers: p.workers, failFast: p.fail_fast }, one);
      if (failed) {
        throw new StepError(
          `ThreadPool task failed at index=${failed.index}: ${errorMessage(failed.error)}`,
          {
            cause: failed.error,
          },
        );
      }
    } else {
      for (let i = 0; i < items.length; i++) await one(i);
    }
    await manifest.finish(records);
    return { status: "SUCCESS", outputs: { manifest: manifest.path, count: items.length, skipped } };
  },
});

export const smbUploadFiles = defineStep({
  type: `${SMB_KIND.prefix}_upload_files`,
  origin: "builtin",
  inputs: fields.fixedMap({
    resource: fields.text({ nonEmpty: true }),
    local_files: fields.list(fields.text({ nonEmpty: true }), { required: true }),
    remote_dir: fields.text({ scalars: true }),
  }),
  connector: { input: "resource", kinds: ["smb"], methods: ["upload"] },
  async run(input, ctx): Promise<StepResult> {
    const conn = input.local_files.length > 0 ? await filesConnector(SMB_KIND, ctx, input.resource) : null;
    const uploaded: string[] = [];
    for (const file of input.local_files) {
      checkAborted(ctx);
      // Not sandboxed [verified upstream]: relative to the artifacts dir, absolute as is.
      const local = resolve(isAbsolute(file) ? file : join(ctx.artifactsDir, file));
      await conn!.upload({ local, remote: `${input.remote_dir}/${basename(local)}` });
      uploaded.push(local);
    }
    return { status: "SUCCESS", outputs: { uploaded, remote_dir: input.remote_dir } };
  },
});
