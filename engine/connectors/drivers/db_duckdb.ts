/**
 * `db:duckdb` — registered so flows validate (config `path`, `read_only`; options `extensions`, `pragmas`), but
 * not available at run time: `create` fails with the reason. DuckDB for JavaScript (`@duckdb/node-api`) is a
 * native N-API addon: it loads under Deno only with `--allow-ffi`, which the compiled binary deliberately does not
 * grant, its native code ignores every Deno permission (it reads and writes any file the OS user can), it adds
 * about 140 MB to every install (two platform builds), and `deno compile` 2.9.6 cannot ship its sibling
 * `libduckdb.so`. See docs/connectors.md "db:duckdb" for the verification and the alternatives.
 * @module
 */
import { AetherflowError, EXIT } from "../../errors.ts";
import { fields } from "../../inputs/mod.ts";
import type { DbConnector } from "../kinds/db.ts";
import { defineConnector } from "../types.ts";

/** The run-time error of every `db:duckdb` resource. */
export const DUCKDB_UNAVAILABLE =
  "db:duckdb is not available in this build: DuckDB is a native addon that needs " +
  '--allow-ffi and bypasses the engine\'s permission sandbox (see docs/connectors.md "db:duckdb"); use ' +
  "db:sqlite3 or db:postgres instead";

export const dbDuckdb = defineConnector({
  kind: "db",
  driver: "duckdb",
  origin: "builtin",
  config: fields.fixedMap({
    path: fields.text({ default: ":memory:" }),
    read_only: fields.bool({ default: false }),
  }),
  options: fields.fixedMap({
    extensions: fields.list(fields.text()),
    pragmas: fields.record(),
    cache: fields.text({ default: null }),
  }),
  create(resource): DbConnector {
    throw new AetherflowError(`Resource ${resource.name}: ${DUCKDB_UNAVAILABLE}`, {
      code: "db:unavailable",
      exitCode: EXIT.FAILED,
    });
  },
});
