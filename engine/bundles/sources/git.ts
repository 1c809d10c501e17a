/**
 * `git` source: the system `git` fetches into a cache repository under the bundle root, resolves `ref` or
 * `commit` (neither = the remote's default branch) to a full commit id, lists `base_path` at that commit and
 * reads blobs from the cache (docs/bundles.md "git"). Signatures are `git:<blob id>`.
 * @module
 */
import { posix } from "node:path";
import { AetherflowError, EXIT } from "../../errors.ts";
import { compareCodePoints } from "../fingerprint.ts";
import type { GitSourceSpec } from "../manifest_model.ts";
import { unsafeEntryError } from "./filesystem.ts";
import { gitError, redactUrl, runGit } from "./_git.ts";
import type { BundleSource, SourceContext, SourceEntry, SourceIdentity } from "./types.ts";

const _TARGET_REF = "refs/aetherflow/target";

export class GitSource implements BundleSource {
  readonly type = "git";
  readonly basePath: string;
  readonly #spec: GitSourceSpec;
  readonly #gitDir: string;
  #commit: string | undefined;

  constructor(spec: GitSourceSpec, ctx: SourceContext) {
    this.#spec = spec;
    this.basePath = spec.base_path;
    this.#gitDir = posix.join(ctx.bundleRoot, "git");
  }

  #git(...args: string[]) {
    return runGit([`--git-dir=${this.#gitDir}`, ...args]);
  }

  async #ensureRepo(): Promise<void> {
    // `git init` on an existing repository is harmless, so an init cut short by a crash is simply redone.
    const head = await Deno.stat(posix.join(this.#gitDir, "HEAD")).catch(() => undefined);
    if (!head) await runGit(["init", "--bare", "--quiet", this.#gitDir]);
  }

  async #resolve(): Promise<string> {
    const url = this.#spec.url;
    const { ref, commit } = this.#spec;
    if (commit !== undefined) {
      if (!(await this.#hasCommit(commit))) {
        const r = await runGit([
          `--git-dir=${this.#gitDir}`,
          "fetch",
          "--no-tags",
          "--quiet",
          "--",
          url,
          commit,
        ], {
          check: false,
        });
        if (r.code !== 0 || !(await this.#hasCommit(commit))) {
          // Servers that refuse a fetch by id: fetch every branch and tag, then look again.
          await this.#git(
            "fetch",
            "--no-tags",
            "--force",
            "--quiet",
            "--",
            url,
            "+refs/heads/*:refs/aetherflow/heads/*",
            "+refs/tags/*:refs/aetherflow/tags/*",
          );
          if (!(await this.#hasCommit(commit))) {
            throw new AetherflowError(`Unknown git commit: ${commit}`, {
              code: "bundle:git",
              exitCode: EXIT.FAILED,
            });
          }
        }
      }
      return await this.#revParse(`${commit}^{commit}`);
    }
    const src = ref ?? "HEAD";
    const r = await runGit(
      [
        `--git-dir=${this.#gitDir}`,
        "fetch",
        "--no-tags",
        "--force",
        "--quiet",
        "--",
        url,
        `+${src}:${_TARGET_REF}`,
      ],
      { check: false },
    );
    if (r.code !== 0) {
      if (ref !== undefined && /couldn't find remote ref|invalid refspec|not our ref/i.test(r.stderr)) {
        throw new AetherflowError(`Unknown git ref: ${ref}`, { code: "bundle:git", exitCode: EXIT.FAILED });
      }
      throw gitError(["fetch", url, src], r.stderr);
    }
    return await this.#revParse(`${_TARGET_REF}^{commit}`);
  }

  async #hasCommit(commit: string): Promise<boolean> {
    const r = await runGit([`--git-dir=${this.#gitDir}`, "cat-file", "-e", `${commit}^{commit}`], {
      check: false,
    });
    return r.code === 0;
  }

  async #revParse(rev: string): Promise<string> {
    const r = await this.#git("rev-parse", "--verify", "--quiet", rev);
    return new TextDecoder().decode(r.stdout).trim();
  }

  async list(): Promise<SourceEntry[]> {
    await this.#ensureRepo();
    const commit = await this.#resolve();
    this.#commit = commit;
    const base = this.basePath;
    const args = ["ls-tree", "-r", "-l", "-z", "--full-tree", commit];
    if (base !== "") args.push("--", `${base}/`);
    const out = new TextDecoder().decode((await this.#git(...args)).stdout);
    const blobs = new Map<string, { mode: string; id: string; size: number }>();
    for (const rec of out.split("\0")) {
      if (rec === "") continue;
      const tab = rec.indexOf("\t");
      const [mode = "", type = "", id = "", size = ""] = rec.slice(0, tab).split(/ +/);
      if (type !== "blob") continue; // submodules (commit entries) are not part of the bundle
      blobs.set(rec.slice(tab + 1), { mode, id, size: Number(size) });
    }
    const entries: SourceEntry[] = [];
    for (const [full, blob] of blobs) {
      const rel = base === "" ? full : full.slice(base.length + 1);
      let { id, size } = blob;
      if (blob.mode === "120000") {
        // A symbolic link is followed inside the tree like a symlinked file on disk; leaving base_path is refused.
        const target = new TextDecoder().decode((await this.#git("cat-file", "blob", id)).stdout);
        const resolved = posix.normalize(posix.join(posix.dirname(full), target));
        const inside = base === ""
          ? !resolved.startsWith("../") && resolved !== ".."
          : resolved.startsWith(`${base}/`);
        if (target.startsWith("/") || !inside) {
          throw unsafeEntryError(rel, `symbolic link to ${target} leaves the bundle`, this.type);
        }
        const hit = blobs.get(resolved);
        if (!hit || hit.mode === "120000") continue; // a directory or a dangling/chained link: nothing to ship
        ({ id, size } = hit);
      }
      entries.push({ rel_path: rel, path: `${commit}:${full}`, size, mtime: null, blob: id });
    }
    return entries.sort((a, b) => compareCodePoints(a.rel_path, b.rel_path));
  }

  async read(entry: SourceEntry): Promise<Uint8Array> {
    return (await this.#git("cat-file", "blob", entry.blob!)).stdout;
  }

  identity(): SourceIdentity {
    const id: SourceIdentity = { type: this.type, base_path: this.basePath, url: redactUrl(this.#spec.url) };
    if (this.#spec.ref !== undefined) id.ref = this.#spec.ref;
    if (this.#commit !== undefined) id.commit = this.#commit;
    return id;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
