// The one JSON style of the CLI (docs/cli.md "JSON output"): a command prints exactly one compact object
// whose first key is `ok`; a failure under `--json` is `{"ok": false, "errors": [{code, loc, msg}]}` on stdout
// with the same exit code; times are ISO 8601 UTC with milliseconds plus `<name>_ms` epoch milliseconds.
import { maskForReport } from "../compose/error_masking.ts";
import { AetherflowError, SpecError } from "../engine/errors.ts";
import type { Issue, JsonValue } from "../engine/types.ts";

/** Whether the command line asks for JSON (`--json` anywhere before `--`). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/** Print one command document: `{"ok": <ok>, ...doc}` on one line. */
export function printJson(doc: Record<string, JsonValue | undefined>, ok = true): void {
  console.log(JSON.stringify({ ok, ...doc }));
}

/** An error entry in the issue shape of `validate --json`: code, loc, msg (line/col when known). */
export function errorEntries(err: unknown): Record<string, JsonValue>[] {
  if (err instanceof SpecError) return err.issues.map(_issue);
  if (err instanceof AetherflowError) return [{ code: err.code, loc: err.loc ?? "<cli>", msg: err.message }];
  const msg = err instanceof Error ? err.message : String(err);
  return [{ code: "internal", loc: "<cli>", msg }];
}

function _issue(i: Issue): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { code: i.code, loc: i.loc, msg: i.msg };
  if (i.line !== undefined) out.line = i.line;
  if (i.col !== undefined) out.col = i.col;
  return out;
}

/** `{"ok": false, "errors": [...]}` for an error that ended a `--json` command. */
export function printJsonError(err: unknown): void {
  // Masked like every error report (docs/secrets.md "Error paths"); string by string, so JSON stays JSON.
  const errors = errorEntries(err).map((e) =>
    Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === "string" ? maskForReport(v) : v]))
  );
  console.log(JSON.stringify({ ok: false, errors }));
}
