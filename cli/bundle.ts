// `aetherflow bundle sync|status --bundle-manifest PATH [--work-root DIR] [--json]` (docs/bundles.md, docs/cli.md).
// Exit 0 ok (a stale fallback included), 1 sync failure, 2 usage error or invalid manifest.
import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "./_exit.ts";
import { EXIT } from "../engine/errors.ts";

interface _Common {
  bundleManifest: string;
  workRoot?: string;
  json?: boolean;
}

export function registerBundle(program: Command): void {
  const bundle = program.command("bundle").description(
    "Sync a flow bundle from its source, or show its state",
  );
  bundle
    .command("sync")
    .description("Fetch the bundle, activate it atomically when it changed (docs/bundles.md)")
    .requiredOption("--bundle-manifest <path>", "the bundle manifest")
    .option("--work-root <dir>", "work root (default: settings work_root)")
    .option("--allow-stale-bundle", "on a sync failure, keep and report the active bundle (exit 0)")
    .option("--json", "print one line of JSON")
    .option("--print-local-root", "also print the local root on a line of its own (text output)")
    .action(async (opts) => setExitCode(await _sync(opts)));
  bundle
    .command("status")
    .description("Show a bundle's active fingerprint and paths (read-only: no lock, no network)")
    .requiredOption("--bundle-manifest <path>", "the bundle manifest")
    .option("--work-root <dir>", "work root (default: settings work_root)")
    .option("--json", "print one line of JSON")
    .action(async (opts) => setExitCode(await _status(opts)));
}

async function _context(opts: _Common) {
  const [config, bundles, { workRootPath }, observe] = await Promise.all([
    import("../engine/config/mod.ts"),
    import("../engine/bundles/mod.ts"),
    import("../compose/mod.ts"),
    import("../engine/observe/mod.ts"),
  ]);
  const snapshot = config.buildSnapshot();
  const masker = new config.Masker();
  masker.addFromSnapshot(snapshot);
  const cwd = Deno.cwd();
  const manifest = await bundles.loadManifest(opts.bundleManifest);
  const settings = config.loadSettings(snapshot, { cwd });
  const workRoot = workRootPath(opts.workRoot ?? settings.work_root, cwd);
  // Warnings (the stale fallback) in the core log format, on stderr.
  const logger = new observe.Logger({
    format: settings.log_format,
    level: observe.parseLogLevel(settings.log_level),
    mask: (s) => masker.mask(s),
    write: (line) => console.error(line),
  });
  return { bundles, masker, manifest, workRoot, logger, snapshot };
}

async function _sync(
  opts: _Common & { allowStaleBundle?: boolean; printLocalRoot?: boolean },
): Promise<typeof EXIT.OK> {
  const { bundles, masker, manifest, workRoot, logger, snapshot } = await _context(opts);
  const r = await bundles.syncBundle({
    manifest,
    snapshot,
    workRoot,
    allowStale: opts.allowStaleBundle === true,
    warn: (msg) => logger.log("WARNING", "aetherflow.bundles", msg),
    mask: (s) => masker.mask(s),
  });
  if (opts.json) {
    const doc: Record<string, unknown> = {
      ok: true, // one JSON style (docs/cli.md "JSON output")
      bundle_manifest: r.bundle_manifest,
      local_root: r.local_root,
      active_dir: r.active_dir,
      cache_dir: r.cache_dir,
      fingerprints_dir: r.fingerprints_dir,
      fingerprint: r.fingerprint,
      changed: r.changed,
      fetched_files: r.fetched_files,
    };
    if (r.commit !== undefined) doc.commit = r.commit;
    console.log(masker.mask(JSON.stringify(doc)));
  } else {
    const head = r.changed ? "CHANGED" : "UNCHANGED";
    console.log(masker.mask(`${head}: bundle synced to ${r.local_root} fingerprint=${r.fingerprint}`));
    if (opts.printLocalRoot) console.log(masker.mask(r.local_root));
  }
  return EXIT.OK;
}

async function _status(opts: _Common): Promise<typeof EXIT.OK> {
  const { bundles, masker, manifest, workRoot } = await _context(opts);
  const s = await bundles.bundleStatus(manifest, workRoot);
  const text = opts.json ? JSON.stringify({ ok: true, ...s }) : [
    `bundle_id=${s.bundle_id} fingerprint=${s.fingerprint ?? "(none)"} has_active=${
      s.has_active ? "yes" : "no"
    }`,
    `active_dir=${s.active_dir}`,
    `cache_dir=${s.cache_dir}`,
    `fingerprints_dir=${s.fingerprints_dir}`,
  ].join("\n");
  console.log(masker.mask(text));
  return EXIT.OK;
}
