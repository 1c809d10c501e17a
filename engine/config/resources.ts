/**
 * Resource building at run time (docs/configuration.md): profile merge, render in the resource phase, decode.
 * @module
 */
import { AetherflowError, EXIT, UsageError } from "../errors.ts";
import { PHASE_ROOTS, renderValue, TemplateError } from "../resolver/mod.ts";
import { isSecretKey, type Masker, urlPasswords } from "./masking.ts";
import { type Mode, refusedArchiveDriver } from "./modes.ts";
import { applyDecode, type SecretsProvider } from "./secrets.ts";
import type { Snapshot } from "./snapshot.ts";
import { isMap } from "../types.ts";

type _Map = Record<string, unknown>;

/** The parts of a profile used here (docs/yaml-spec.md profiles document). */
export interface ProfileLike {
  config?: _Map | null;
  options?: _Map | null;
  decode?: unknown;
}

/** The parts of a `resources.<name>` entry used here. */
export interface ResourceLike extends ProfileLike {
  kind: string;
  driver: string;
  profile?: string | null;
}

/** A fully resolved resource (RunContext `resources`, docs/configuration.md); `decode` is the merged spec, not values. */
export interface BuiltResource {
  kind: string;
  driver: string;
  config: _Map;
  options: _Map;
  decode: _Map;
}

/** Deep merge, `over` wins: maps merge recursively, lists and scalars are replaced. Inputs are not mutated. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return structuredClone(over === undefined ? base : over);
  const out: _Map = structuredClone(base);
  for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : structuredClone(v);
  return out;
}

function _mergeDecode(profile: unknown, resource: unknown): _Map {
  const p = isMap(profile) ? profile : {};
  const r = isMap(resource) ? resource : {};
  const out: _Map = {};
  for (const key of new Set([...Object.keys(p), ...Object.keys(r)])) {
    const pv = p[key];
    const rv = r[key];
    if (key.endsWith("_paths") && Array.isArray(pv) && Array.isArray(rv)) {
      out[key] = [...new Set([...pv, ...rv])]; // profile first, de-duplicated (docs/configuration.md step 4)
    } else out[key] = deepMerge(pv, rv);
  }
  return out;
}

/**
 * Merge a profile into a resource (docs/configuration.md steps 3–4): the resource wins; maps deep-merge; lists/scalars are
 * replaced; decode bool maps deep-merge and `*_paths` lists concatenate profile-first, de-duplicated.
 */
export function mergeProfileIntoResource(
  profile: ProfileLike | undefined,
  resource: ProfileLike,
): { config: _Map; options: _Map; decode: _Map } {
  const config = deepMerge(profile?.config ?? {}, resource.config ?? {});
  const options = deepMerge(profile?.options ?? {}, resource.options ?? {});
  return {
    config: isMap(config) ? config : {},
    options: isMap(options) ? options : {},
    decode: _mergeDecode(profile?.decode, resource.decode),
  };
}

export interface BuildResourcesOptions {
  /** `resources` of the flow, in YAML order. */
  flowResources: Readonly<Record<string, ResourceLike>>;
  /** Profiles by name (already schema-checked). */
  profiles: Readonly<Record<string, ProfileLike>>;
  snapshot: Snapshot;
  secrets?: SecretsProvider;
  masker?: Masker;
  mode: Mode;
  /** Enterprise archive drivers (manifest `zip_drivers`); empty without a manifest. */
  archiveAllowList: readonly string[];
  /** WARNING sink (no secrets provider). */
  onWarning?: (message: string) => void;
}

/**
 * Build every resource (docs/configuration.md) in YAML order: archive check, profile merge, render with root `env`, decode.
 * @throws {AetherflowError} `config:enterprise_archive_driver`, `config:unknown_profile`; {TemplateError} from
 * rendering or a bad decode spec.
 */
export async function buildResources(options: BuildResourcesOptions): Promise<Record<string, BuiltResource>> {
  const out: [string, BuiltResource][] = [];
  const ctx = { env: options.snapshot };
  for (const [name, res] of Object.entries(options.flowResources)) {
    const allowed = refusedArchiveDriver({
      mode: options.mode,
      kind: res.kind,
      driver: res.driver,
      allowList: options.archiveAllowList,
    });
    if (allowed !== null) {
      throw new AetherflowError(
        `Enterprise mode requires resources.${name}.driver to be one of ${JSON.stringify(allowed)} ` +
          `for kind=archive. Got: ${JSON.stringify(res.driver)}`,
        { code: "config:enterprise_archive_driver", exitCode: EXIT.FAILED },
      );
    }
    let profile: ProfileLike | undefined;
    if (res.profile !== undefined && res.profile !== null) {
      if (!Object.hasOwn(options.profiles, res.profile)) {
        throw new AetherflowError(`Unknown profile '${res.profile}' for resource '${name}'`, {
          code: "config:unknown_profile",
          exitCode: EXIT.FAILED,
        });
      }
      profile = options.profiles[res.profile];
    }
    const merged = mergeProfileIntoResource(profile, res);
    const render = (section: "config" | "options" | "decode") => {
      try {
        return renderValue(merged[section], ctx, { roots: PHASE_ROOTS.resource, loc: section });
      } catch (err) {
        throw err instanceof TemplateError ? err.locate(`resource '${name}', ${err.loc ?? section}`) : err;
      }
    };
    const rendered = { config: render("config") as _Map, options: render("options") as _Map };
    // Decode leaves may be standalone env tokens (docs/validation.md), so the spec is rendered before collection.
    const decodeSpec = render("decode");
    const decoded = await applyDecode({
      raw: merged,
      rendered,
      decode: decodeSpec,
      provider: options.secrets,
      masker: options.masker,
      onWarning: options.onWarning,
      where: `resources.${name}`,
    });
    if (options.masker) registerResourceSecrets(options.masker, decoded);
    out.push([name, { kind: res.kind, driver: res.driver, ...decoded, decode: merged.decode }]);
  }
  return Object.fromEntries(out);
}

/**
 * Register a resource's credentials with the masker [D18]: values under secret-named keys (`password`,
 * `token`, `private_key`, … at any depth of config/options) and the password of every credentialed URL, raw and
 * percent-decoded, since drivers echo either in their errors (docs/secrets.md "Resource credentials").
 * Values shorter than 4 characters are not registered (they would mask ordinary text).
 */
export function registerResourceSecrets(masker: Masker, resource: { config: _Map; options: _Map }): void {
  const add = (value: string) => {
    if (value.length >= 4) masker.add(value);
  };
  const walk = (value: unknown, key: string | undefined) => {
    if (typeof value === "string") {
      if (key !== undefined && isSecretKey(key)) add(value);
      for (const pw of urlPasswords(value)) add(pw);
    } else if (Array.isArray(value)) value.forEach((v) => walk(v, undefined));
    else if (isMap(value)) { for (const [k, v] of Object.entries(value)) walk(v, k); }
  };
  walk(resource.config, undefined);
  walk(resource.options, undefined);
}

export interface StateProfileOptions {
  /** `flow.state.profile`. */
  profile: string;
  /** Profiles by name (already schema-checked). */
  profiles: Readonly<Record<string, ProfileLike>>;
  snapshot: Snapshot;
  secrets?: SecretsProvider;
  masker?: Masker;
  /** WARNING sink (a decode request without a secrets provider). */
  onWarning?: (message: string) => void;
}

/**
 * The PostgreSQL state URL of `flow.state.profile` (docs/state.md "PostgreSQL"): the profile's `config.url`,
 * resolved the way a resource resolves its profile — rendered with root `env`, the profile's `decode` applied
 * (secrets provider), and its credentials registered with the masker [D18].
 * @throws {UsageError} (exit 2, loc `flow.state.profile`) for an unknown profile or one without `config.url`;
 * {TemplateError} from rendering.
 */
export async function stateUrlFromProfile(options: StateProfileOptions): Promise<string> {
  const where = "flow.state.profile";
  if (!Object.hasOwn(options.profiles, options.profile)) {
    throw new UsageError(`Unknown profile '${options.profile}' for ${where}`, {
      code: "config:unknown_profile",
      loc: where,
    });
  }
  const merged = mergeProfileIntoResource(options.profiles[options.profile], {});
  const render = (section: "config" | "options" | "decode") => {
    try {
      return renderValue(merged[section], { env: options.snapshot }, {
        roots: PHASE_ROOTS.resource,
        loc: section,
      });
    } catch (err) {
      throw err instanceof TemplateError
        ? err.locate(`profile '${options.profile}', ${err.loc ?? section}`)
        : err;
    }
  };
  const rendered = { config: render("config") as _Map, options: render("options") as _Map };
  const decoded = await applyDecode({
    raw: merged,
    rendered,
    decode: render("decode"),
    provider: options.secrets,
    masker: options.masker,
    onWarning: options.onWarning,
    where: `profiles.${options.profile}`,
  });
  if (options.masker) registerResourceSecrets(options.masker, decoded);
  const url = decoded.config.url;
  if (typeof url !== "string" || url.trim() === "") {
    throw new UsageError(
      `Profile '${options.profile}' (${where}) has no config.url: give the PostgreSQL URL there ` +
        '(e.g. url: "{{env.STATE_DB_URL}}")',
      { code: "config:state_url", loc: where },
    );
  }
  return url;
}
