/**
 * The bundle manifest model (docs/bundles.md "Manifest"): zod schemas whose failures carry the contract messages,
 * every problem reported at once, unknown keys with a did-you-mean hint [D6].
 * @module
 */
import { z } from "zod";
import { DEFAULT_ZIP_DRIVERS } from "../config/modes.ts";
import type { EnvFileSpec } from "../config/env_files.ts";
import { decodeSchema } from "../flow/flow_model.ts";
import { PluginPinSchema } from "../../plugins/lock/plugin_lock.ts";
import {
  boolValue,
  checked,
  choice,
  isMap,
  nonBlank,
  optionalNonBlank,
  strictMap,
  tidyRelPath,
  unsafeRelPath,
} from "./_fields.ts";
import { archiveFormat } from "./_paths.ts";

export { archiveFormat };

export const MANIFEST_MODES = ["internal_fast", "enterprise"] as const;
export type ManifestMode = typeof MANIFEST_MODES[number];
export const FETCH_POLICIES = ["cache_check", "always"] as const;
export type FetchPolicy = typeof FETCH_POLICIES[number];
export const ZIP_DRIVERS = ["pyzipper", "zipfile", "os", "external"] as const;
/** Source types; `local` is an alias of `filesystem`, `rest` of `http`. */
export const SOURCE_TYPES = ["filesystem", "git", "archive", "sftp", "smb", "db", "http"] as const;
export type SourceType = typeof SOURCE_TYPES[number];
const _SOURCE_ALIASES: Readonly<Record<string, SourceType>> = { local: "filesystem", rest: "http" };

/** Safe bundle ids: they become a directory name under the work root [ours]. */
export const BUNDLE_ID_REGEXP = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const _SHA256_REGEXP = /^[0-9a-f]{64}$/;
const _COMMIT_REGEXP = /^[0-9a-f]{7,64}$/;
const _ENV_FILE_TYPES = ["dotenv", "json", "dir", "directory", "dir-of-files"];

type _Fail = (message: string) => never;

/** A manifest path that must stay inside the bundle (entry_flow, layout paths, source subdirectories). */
function _bundlePath(value: unknown, fail: _Fail, field: string, required: boolean): string | undefined {
  const what = required ? "is required and must be" : "must be";
  const blank = `${field} ${what} a non-empty string${required ? "" : " when provided"}`;
  const text = required ? nonBlank(value, fail, blank) : optionalNonBlank(value, fail, blank);
  if (text === undefined) return undefined;
  if (text.startsWith("/") || text.startsWith("~")) {
    fail(`${field} must be a path relative to the bundle: ${text}`);
  }
  const tidy = tidyRelPath(text);
  const why = unsafeRelPath(tidy);
  if (why !== undefined && tidy !== "") fail(`${field} must stay inside the bundle (${why}): ${text}`);
  return tidy;
}

function _subdir(field: string) {
  return checked((v, fail) => {
    if (v === undefined || v === null || v === "") return "";
    if (typeof v !== "string") return fail(`${field} must be a string`);
    return _bundlePath(v, fail, field, false) ?? "";
  });
}

const _type = (t: SourceType) => checked(() => t);
const _resource = (t: string) =>
  checked((v, fail) => nonBlank(v, fail, `bundle.source.resource is required for source.type=${t}`));
const _strict = checked((v, fail) =>
  boolValue(v, fail, "bundle.source.strict_fingerprint must be true or false")
);
const _optString = (field: string, fallback: string) =>
  checked((v, fail) =>
    optionalNonBlank(v, fail, `${field} must be a non-empty string when provided`) ?? fallback
  );

function _sha256(v: unknown, fail: _Fail): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || !_SHA256_REGEXP.test(v.trim().toLowerCase())) {
    fail("bundle.source.sha256 must be 64 hex digits");
  }
  return (v as string).trim().toLowerCase();
}

/** Per-type key sets (docs/bundles.md "Sources"); the `type` key is checked before these run. */
const _SOURCE_SHAPES = {
  filesystem: {
    type: _type("filesystem"),
    base_path: checked((v, fail) => {
      if (v === undefined || v === null) return "";
      if (typeof v !== "string") return fail("bundle.source.base_path must be a string");
      return v.trim();
    }),
    strict_fingerprint: _strict,
  },
  git: {
    type: _type("git"),
    url: checked((v, fail) => nonBlank(v, fail, "bundle.source.url is required for source.type=git")),
    ref: checked((v, fail) =>
      optionalNonBlank(v, fail, "bundle.source.ref must be a non-empty string when provided")
    ),
    commit: checked((v, fail) => {
      const c = optionalNonBlank(v, fail, "bundle.source.commit must be a non-empty string when provided");
      if (c !== undefined && !_COMMIT_REGEXP.test(c.toLowerCase())) {
        fail(`bundle.source.commit must be a commit id (7 to 64 hex digits): ${c}`);
      }
      return c?.toLowerCase();
    }),
    base_path: _subdir("bundle.source.base_path"),
  },
  archive: {
    type: _type("archive"),
    path: checked((v, fail) =>
      optionalNonBlank(v, fail, "bundle.source.path must be a non-empty string when provided")
    ),
    url: checked((v, fail) => {
      const url = optionalNonBlank(v, fail, "bundle.source.url must be a non-empty string when provided");
      if (url !== undefined && !url.toLowerCase().startsWith("https://")) {
        fail(`bundle.source.url must be an https:// URL: ${url}`);
      }
      return url;
    }),
    sha256: checked(_sha256),
    base_path: _subdir("bundle.source.base_path"),
  },
  sftp: {
    type: _type("sftp"),
    resource: _resource("sftp"),
    base_path: checked((v, fail) => {
      if (v === undefined || v === null) return "/";
      if (typeof v !== "string") return fail("bundle.source.base_path must be a string");
      const trimmed = v.trim().replace(/\/+$/, "");
      return trimmed === "" ? "/" : trimmed;
    }),
    strict_fingerprint: _strict,
  },
  smb: {
    type: _type("smb"),
    resource: _resource("smb"),
    base_path: _optString("bundle.source.base_path", ""),
    strict_fingerprint: _strict,
  },
  db: {
    type: _type("db"),
    resource: _resource("db"),
    base_path: _optString("bundle.source.base_path", ""),
    list_sql: _optString("bundle.source.list_sql", ""),
    fetch_sql: _optString("bundle.source.fetch_sql", ""),
    strict_fingerprint: _strict,
  },
  http: {
    type: _type("http"),
    resource: _resource("http"),
    bundle: _optString("bundle.source.bundle", ""),
    list_path: _optString("bundle.source.list_path", "/list"),
    fetch_path: _optString("bundle.source.fetch_path", "/fetch"),
    prefix_param: _optString("bundle.source.prefix_param", "prefix"),
    base_path: _optString("bundle.source.base_path", ""),
    strict_fingerprint: _strict,
  },
} as const;

/** Which other type accepts a key (for "valid for source.type=git" hints). */
function _otherKeys(type: SourceType): Record<string, string> {
  const out: Record<string, string> = {};
  for (const other of SOURCE_TYPES) {
    if (other === type) continue;
    for (const key of Object.keys(_SOURCE_SHAPES[other])) {
      if (!(key in _SOURCE_SHAPES[type]) && !(key in out)) out[key] = other;
    }
  }
  return out;
}

const _SOURCE_SCHEMAS = Object.fromEntries(
  SOURCE_TYPES.map((t) => [
    t,
    strictMap(_SOURCE_SHAPES[t], "bundle.source is required and must be a mapping", _otherKeys(t))
      .superRefine((src, ctx) => {
        const s = src as Record<string, unknown>;
        if (t === "git" && s.ref !== undefined && s.commit !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["commit"],
            message: "bundle.source: give ref or commit, not both",
          });
        }
        if (t === "archive") {
          if ((s.path === undefined) === (s.url === undefined)) {
            ctx.addIssue({
              code: "custom",
              message: "bundle.source: give exactly one of path or url for source.type=archive",
            });
          }
          if (s.url !== undefined && s.sha256 === undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["sha256"],
              message: "bundle.source.sha256 is required with bundle.source.url",
            });
          }
          const name = String(s.path ?? s.url ?? "").split(/[?#]/)[0]!.toLowerCase();
          if (name !== "" && archiveFormat(name) === undefined) {
            ctx.addIssue({
              code: "custom",
              path: [s.path !== undefined ? "path" : "url"],
              message: "bundle.source archive must end with .zip, .tar.gz or .tgz",
            });
          }
        }
      }),
  ]),
) as unknown as Record<SourceType, z.ZodType<unknown>>;

/** The source spec for its type; `type` picks the key set (absent = filesystem). */
const _source = z.unknown().optional().transform((value, ctx) => {
  if (!isMap(value)) {
    ctx.issues.push({
      code: "custom",
      message: "bundle.source is required and must be a mapping",
      input: value,
    });
    return z.NEVER;
  }
  const raw = value.type;
  const t = raw === undefined || raw === null
    ? "filesystem"
    : typeof raw === "string"
    ? raw.trim().toLowerCase()
    : "";
  const type = (_SOURCE_ALIASES[t] ?? (t === "" ? "filesystem" : t)) as SourceType;
  if (!(SOURCE_TYPES as readonly string[]).includes(type) || (typeof raw !== "string" && raw != null)) {
    ctx.issues.push({
      code: "custom",
      path: ["type"],
      message: `Unsupported bundle.source.type: ${String(raw)}`,
      input: raw,
    });
    return z.NEVER;
  }
  const parsed = _SOURCE_SCHEMAS[type].safeParse(value);
  if (!parsed.success) {
    for (const iss of parsed.error.issues) {
      ctx.issues.push({ ...iss, input: undefined } as z.core.$ZodRawIssue);
    }
    return z.NEVER;
  }
  return parsed.data as SourceSpec;
});

const _layout = strictMap({
  profiles_file: checked((v, fail) => _bundlePath(v, fail, "bundle.layout.profiles_file", true)!),
  plugins_dir: checked((v, fail) => _bundlePath(v, fail, "bundle.layout.plugins_dir", false)),
  flows_dir: checked((v, fail) => _bundlePath(v, fail, "bundle.layout.flows_dir", false)),
}, "bundle.layout is required and must be a mapping");

const _bundle = strictMap({
  id: checked((v, fail) => {
    const msg = "bundle.id is required and must be a non-empty string";
    if (typeof v !== "string" || v.trim() === "") return fail(msg);
    if (!BUNDLE_ID_REGEXP.test(v) || v.length > 128) {
      fail(
        `${msg} of letters, digits, '.', '_' and '-' starting with a letter or digit: ${JSON.stringify(v)}`,
      );
    }
    return v;
  }),
  source: _source,
  layout: _layout,
  entry_flow: checked((v, fail) => _bundlePath(v, fail, "bundle.entry_flow", true)!),
  fetch_policy: checked((v, fail) =>
    choice(v, fail, {
      values: FETCH_POLICIES,
      fallback: "cache_check",
      message: "bundle.fetch_policy must be one of: cache_check, always",
    })
  ),
}, "manifest.bundle is required and must be a mapping");

const _decode = strictMap(
  Object.fromEntries(Object.keys(decodeSchema.shape).map((k) => [k, z.unknown().optional()])),
  "decode must be a mapping",
);

const _resourceEntry = (name: string) =>
  strictMap({
    kind: checked((v, fail) =>
      nonBlank(v, fail, `manifest.resources.${name}.kind is required and must be a non-empty string`)
    ),
    driver: checked((v, fail) =>
      nonBlank(v, fail, `manifest.resources.${name}.driver is required and must be a non-empty string`)
    ),
    profile: checked((v, fail) => {
      if (v !== undefined && v !== null) fail("manifest is bootstrap; profiles not available before sync");
      return null;
    }),
    config: checked((
      v,
      fail,
    ) => (v == null ? {} : isMap(v) ? v : fail(`manifest.resources.${name}.config must be a mapping`))),
    options: checked((
      v,
      fail,
    ) => (v == null ? {} : isMap(v) ? v : fail(`manifest.resources.${name}.options must be a mapping`))),
    decode: _decode.optional().transform((d) => d ?? {}),
  }, `manifest.resources.${name} must be a mapping`);

const _resources = z.unknown().optional().transform((value, ctx) => {
  if (value === undefined || value === null) return {};
  if (!isMap(value)) {
    ctx.issues.push({
      code: "custom",
      message: "manifest.resources must be a mapping when provided",
      input: value,
    });
    return z.NEVER;
  }
  const out: Record<string, BootstrapResource> = {};
  for (const [name, entry] of Object.entries(value)) {
    const parsed = _resourceEntry(name).safeParse(entry);
    if (parsed.success) out[name] = parsed.data as BootstrapResource;
    else {
      for (const iss of parsed.error.issues) {
        ctx.issues.push({ ...iss, path: [name, ...iss.path], input: undefined } as z.core.$ZodRawIssue);
      }
    }
  }
  return out;
});

const _envFileObject = strictMap({
  type: z.unknown().optional(),
  format: z.unknown().optional(),
  path: z.unknown().optional(),
  optional: z.unknown().optional(),
  prefix: z.unknown().optional(),
}, "env_files entries must be a string or a mapping");

function _envFile(value: unknown, fail: _Fail, i: number): EnvFileSpec {
  const at = `env_files[${i}]`;
  if (typeof value === "string") {
    return {
      type: "dotenv",
      path: nonBlank(value, fail, `${at} must be a non-empty path`),
      optional: false,
      prefix: "",
    };
  }
  if (!isMap(value)) fail(`${at} must be a string or a mapping`);
  const v = value as Record<string, unknown>;
  if (v.type != null && v.format != null) fail(`${at}: give type or format, not both`);
  const rawType = v.type ?? v.format ?? "dotenv";
  const type = typeof rawType === "string" ? rawType.trim().toLowerCase() : "";
  if (!_ENV_FILE_TYPES.includes(type)) fail(`${at}.type must be one of: ${_ENV_FILE_TYPES.join(", ")}`);
  const path = nonBlank(v.path, fail, `${at}.path is required and must be a non-empty string`);
  const optional = boolValue(v.optional, fail, `${at}.optional must be true or false`);
  if (v.prefix != null && typeof v.prefix !== "string") fail(`${at}.prefix must be a string`);
  return { type, path, optional, prefix: (v.prefix as string | undefined) ?? "" };
}

const _envFiles = z.unknown().optional().transform((value, ctx) => {
  if (value === undefined || value === null) return [] as EnvFileSpec[];
  if (!Array.isArray(value)) {
    ctx.issues.push({ code: "custom", message: "env_files must be a list", input: value });
    return z.NEVER;
  }
  const out: EnvFileSpec[] = [];
  value.forEach((entry, i) => {
    if (isMap(entry)) {
      const keys = _envFileObject.safeParse(entry);
      if (!keys.success) {
        for (const iss of keys.error.issues) {
          ctx.issues.push({ ...iss, path: [i, ...iss.path], input: undefined } as z.core.$ZodRawIssue);
        }
        return;
      }
    }
    const one = checked((v, fail) => _envFile(v, fail, i)).safeParse(entry);
    if (one.success) out.push(one.data);
    else {ctx.issues.push({
        code: "custom",
        path: [i],
        message: one.error.issues[0]!.message,
        input: undefined,
      });}
  });
  return out;
});

const _paths = strictMap({
  plugins: checked((v, fail) => {
    if (v === undefined || v === null) return [] as string[];
    const list = typeof v === "string"
      ? v.split(",")
      : Array.isArray(v)
      ? v
      : fail("paths.plugins must be a string or a list of strings");
    if (!(list as unknown[]).every((p) => typeof p === "string")) {
      fail("paths.plugins must be a string or a list of strings");
    }
    return (list as string[]).map((p) => p.trim()).filter((p) => p !== "");
  }),
}, "manifest.paths must be a mapping when provided");

export const manifestSchema = strictMap({
  version: checked((v, fail) => {
    if (v === undefined || v === null) return 1 as const;
    let n: number | undefined;
    if (typeof v === "number" && Number.isInteger(v)) n = v;
    else if (typeof v === "boolean") n = v ? 1 : 0;
    else if (typeof v === "string" && /^\s*[+-]?\d+\s*$/.test(v)) n = Number(v.trim());
    if (n === undefined) return fail(`Invalid manifest version: ${JSON.stringify(v) ?? String(v)}`);
    if (n !== 1) fail(`Unsupported bundle manifest version: ${n}`);
    return 1 as const;
  }),
  mode: checked((v, fail) =>
    choice(v, fail, {
      values: MANIFEST_MODES,
      fallback: "internal_fast",
      message: "manifest.mode must be one of: internal_fast, enterprise",
    })
  ),
  bundle: _bundle,
  resources: _resources,
  paths: _paths.nullish().transform((p) => p ?? { plugins: [] as string[] }),
  zip_drivers: checked((v, fail) => {
    if (v === undefined || v === null) return [...DEFAULT_ZIP_DRIVERS];
    if (!Array.isArray(v)) return fail(`zip_drivers must be a list of: ${ZIP_DRIVERS.join(", ")}`);
    for (const d of v) {
      if (typeof d !== "string" || !(ZIP_DRIVERS as readonly string[]).includes(d)) {
        fail(`zip_drivers must be a list of: ${ZIP_DRIVERS.join(", ")}; got ${JSON.stringify(d)}`);
      }
    }
    return v as string[];
  }),
  env_files: _envFiles,
  plugins: z.array(PluginPinSchema, { error: () => "plugins must be a list of {path, sha256, grants}" })
    .nullish()
    .transform((p) => p ?? []),
}, "Bundle manifest must be a YAML mapping (object)");

interface _SourceBase {
  base_path: string;
}
/** `filesystem` (alias `local`): base_path relative to the manifest's directory. */
export interface FilesystemSourceSpec extends _SourceBase {
  type: "filesystem";
  strict_fingerprint: boolean;
}
/** `git`: system git; `ref` or `commit` (neither = the remote's default branch); base_path a subdirectory. */
export interface GitSourceSpec extends _SourceBase {
  type: "git";
  url: string;
  ref?: string;
  commit?: string;
}
/** `archive`: `.zip`/`.tar.gz` from `path` or an https `url` (sha256 required with `url`). */
export interface ArchiveSourceSpec extends _SourceBase {
  type: "archive";
  path?: string;
  url?: string;
  sha256?: string;
}
/** The connector-backed sources (`sftp`, `smb`, `db`, `http`): a bootstrap resource names the server. */
export interface ConnectorSourceSpec extends _SourceBase {
  type: "sftp" | "smb" | "db" | "http";
  resource: string;
  strict_fingerprint: boolean;
  bundle?: string;
  list_path?: string;
  fetch_path?: string;
  prefix_param?: string;
  list_sql?: string;
  fetch_sql?: string;
}
/** A source spec after validation (`type` canonical). */
export type SourceSpec = FilesystemSourceSpec | GitSourceSpec | ArchiveSourceSpec | ConnectorSourceSpec;

/** A `resources.<name>` entry of a manifest (bootstrap: no profile). */
export interface BootstrapResource {
  kind: string;
  driver: string;
  profile: null;
  config: Record<string, unknown>;
  options: Record<string, unknown>;
  decode: Record<string, unknown>;
}

/** The manifest document after validation, defaults applied. */
export type ManifestDoc = z.output<typeof manifestSchema>;
