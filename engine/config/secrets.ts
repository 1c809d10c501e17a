/**
 * Secrets: the provider interface [D10] and decode of resource values (docs/templating.md). Decoded values are
 * registered for masking [D18].
 * @module
 */
import { DECODE_ERR, isStandaloneToken, STRICT_ERR, TemplateError } from "../resolver/mod.ts";
import type { Masker } from "./masking.ts";
import { isMap } from "../types.ts";

/** A secrets provider: the WASM plugin exporting `aetherflow_decode` / `aetherflow_expand_env`, or a test one. */
export interface SecretsProvider {
  decode(value: string): Promise<string>;
  expandEnv?(env: Readonly<Record<string, string>>): Promise<Record<string, string>>;
}

/**
 * A provider for tests and demos until the plugin provider is wired: decode gives `<prefix>(<value>)`,
 * expandEnv adds `extraEnv`.
 */
export function prefixProvider(
  options: { prefix?: string; extraEnv?: Record<string, string> } = {},
): SecretsProvider {
  const prefix = options.prefix ?? "DEC";
  const provider: SecretsProvider = { decode: (value) => Promise.resolve(`${prefix}(${value})`) };
  if (options.extraEnv) {
    const extra = options.extraEnv;
    provider.expandEnv = (env) => Promise.resolve({ ...env, ...extra });
  }
  return provider;
}

export type DecodeSection = "config" | "options";

/** One value to decode: `section` and the dotted path inside it. */
export interface DecodeRequest {
  section: DecodeSection;
  path: string;
}

const _SECTIONS: readonly DecodeSection[] = ["config", "options"];

function _syntax(detail: string): TemplateError {
  return new TemplateError("syntax", `${STRICT_ERR}\n${detail}`);
}

function _walkBoolMap(
  map: Record<string, unknown>,
  base: string,
  section: DecodeSection,
  out: DecodeRequest[],
) {
  for (const [key, leaf] of Object.entries(map)) {
    const path = base === "" ? key : `${base}.${key}`;
    if (leaf === true) out.push({ section, path });
    else if (isMap(leaf)) _walkBoolMap(leaf, path, section, out);
    else if (leaf !== false && leaf !== null) {
      throw _syntax(
        `decode.${section}.${path} must be true, false or a nested map, got ${JSON.stringify(leaf)}`,
      );
    }
  }
}

/**
 * Strict decode request collection (docs/templating.md step 2): `decode` is a map; `config`/`options` nested bool maps;
 * `config_paths`/`options_paths` lists of non-empty strings. De-duplicated, in order.
 * @throws {TemplateError} `template:syntax` on any malformed part.
 */
export function collectDecodeRequests(decode: unknown): DecodeRequest[] {
  if (decode === undefined || decode === null) return [];
  if (!isMap(decode)) throw _syntax(`decode must be a map, got ${JSON.stringify(decode)}`);
  const found: DecodeRequest[] = [];
  for (const section of _SECTIONS) {
    const map = decode[section];
    if (map === undefined || map === null || map === false) continue;
    if (!isMap(map)) {
      throw _syntax(`decode.${section} must be a map of booleans, got ${JSON.stringify(map)}`);
    }
    _walkBoolMap(map, "", section, found);
  }
  for (const section of _SECTIONS) {
    const paths = decode[`${section}_paths`];
    if (paths === undefined || paths === null) continue;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === "string" && p.trim() !== "")) {
      throw _syntax(`decode.${section}_paths must be a list of non-empty strings`);
    }
    for (const p of paths as string[]) found.push({ section, path: p.trim() });
  }
  const seen = new Set<string>();
  return found.filter((r) => {
    const id = `${r.section}\u0000${r.path}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

/**
 * Lenient decode-request collection for validation (docs/validation.md): a non-map decode, non-bool leaves and non-list
 * path lists are ignored here (the strict rules apply at run time). De-duplicated, first occurrence kept.
 */
export function collectDecodeRequestsLenient(decode: unknown): DecodeRequest[] {
  const out: DecodeRequest[] = [];
  const seen = new Set<string>();
  const add = (section: "config" | "options", path: string): void => {
    const id = `${section}\u0000${path}`;
    if (path === "" || seen.has(id)) return;
    seen.add(id);
    out.push({ section, path });
  };
  if (!isMap(decode)) return out;
  for (const [key, value] of Object.entries(decode)) {
    if (key === "config" || key === "options") {
      if (isMap(value)) _boolLeaves(value, "", (p) => add(key, p));
    } else if (key === "config_paths" || key === "options_paths") {
      const section = key === "config_paths" ? "config" : "options";
      if (Array.isArray(value)) {
        for (const p of value) if (typeof p === "string") add(section, p);
      }
    }
  }
  return out;
}

function _boolLeaves(map: Record<string, unknown>, prefix: string, add: (path: string) => void): void {
  for (const [key, value] of Object.entries(map)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (value === true) add(path);
    else if (isMap(value)) _boolLeaves(value, path, add);
  }
}

/** The value at a dotted path (`a.b`, list indices as numbers), or `undefined`. */
export function getAtPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isMap(cur) && Object.hasOwn(cur, part)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

function _setAtPath(root: unknown, path: string, value: unknown): void {
  const parts = path.split(".");
  const last = parts.pop() as string;
  const parent = parts.length === 0 ? root : getAtPath(root, parts.join("."));
  if (Array.isArray(parent) && /^\d+$/.test(last)) parent[Number(last)] = value;
  else if (isMap(parent)) parent[last] = value;
}

/**
 * The decode-concatenation rule (docs/templating.md step 3) on raw values: a decode target containing `{{` or `}}` must be
 * one standalone token. Returns the failing requests.
 */
export function findConcatenatedTargets(
  raw: { config: unknown; options: unknown },
  requests: readonly DecodeRequest[],
): DecodeRequest[] {
  return requests.filter((r) => {
    const value = getAtPath(raw[r.section], r.path);
    if (typeof value !== "string" || (!value.includes("{{") && !value.includes("}}"))) return false;
    return !isStandaloneToken(value.trim());
  });
}

export const NO_PROVIDER_WARNING =
  "decode requested but no secrets provider is configured; leaving value as-is";

export interface ApplyDecodeOptions {
  /** Raw (unrendered, merged) config/options: for the concatenation rule. */
  raw: { config: unknown; options: unknown };
  /** Rendered config/options: the values that get decoded (not mutated). */
  rendered: { config: Record<string, unknown>; options: Record<string, unknown> };
  /** The merged decode spec. */
  decode: unknown;
  provider?: SecretsProvider;
  masker?: Masker;
  /** Where to send the no-provider WARNING. */
  onWarning?: (message: string) => void;
  /** Prefix of locations in error messages, e.g. `resources.r1`. */
  where?: string;
}

/**
 * Decode at run time (docs/templating.md steps 2–5). Returns new config/options with every requested string value
 * replaced by the provider's result; each decoded value is registered with the masker [D18].
 * @throws {TemplateError} `template:syntax` for a malformed decode spec or a concatenated target.
 */
export async function applyDecode(
  options: ApplyDecodeOptions,
): Promise<{ config: Record<string, unknown>; options: Record<string, unknown> }> {
  const requests = collectDecodeRequests(options.decode);
  const out = structuredClone(options.rendered);
  if (requests.length === 0) return out;
  const bad = findConcatenatedTargets(options.raw, requests)[0];
  if (bad !== undefined) {
    const where = options.where ? `${options.where}.` : "";
    throw new TemplateError("syntax", `${DECODE_ERR}\nat ${where}${bad.section}.${bad.path}`);
  }
  if (options.provider === undefined) {
    options.onWarning?.(NO_PROVIDER_WARNING);
    return out;
  }
  for (const r of requests) {
    const value = getAtPath(out[r.section], r.path);
    if (typeof value !== "string") continue;
    const decoded = await options.provider.decode(value);
    options.masker?.add(decoded);
    _setAtPath(out[r.section], r.path, decoded);
  }
  return out;
}
