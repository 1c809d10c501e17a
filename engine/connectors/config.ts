/**
 * Checking a resource's `config` / `options` against its connector definition: on raw values at validate time
 * (profile merged, templated and decoded values skipped) and on rendered, decoded values when the connector is
 * created (see docs/validation.md "Resources").
 * @module
 */
import { collectDecodeRequestsLenient, mergeProfileIntoResource, type ProfileLike } from "../config/mod.ts";
import { PHASE_ROOTS, renderValue } from "../resolver/mod.ts";
import { AetherflowError, EXIT } from "../errors.ts";
import { checkRaw, type FieldProblem, formatPath, parseFields } from "../inputs/mod.ts";
import type { Issue } from "../types.ts";
import { type ConnectorRegistry, unknownConnectorMessage } from "./registry.ts";
import type { AnyConnectorDefinition } from "./types.ts";

const _SECTIONS = ["config", "options"] as const;
type _Section = typeof _SECTIONS[number];

/** The fields of a flow resource this check reads (a validated `ResourceSpec` fits). */
export interface RawResource extends ProfileLike {
  kind: string;
  driver: string;
  profile?: string | null;
}

/** The validate-time code of each problem kind. */
const _CODES = {
  missing: "semantic:missing_config",
  unknown: "semantic:unknown_config",
  invalid: "semantic:invalid_config",
} as const;

function _problemText(section: _Section, p: FieldProblem): string {
  const where = `${section}.${formatPath(p.path)}`;
  if (p.kind === "unknown") return p.message;
  if (p.kind === "missing") return `Missing ${where}`;
  return p.verbatim ? p.message : `${where} ${p.message}`;
}

// Malformed decode specs are reported by the template scan; here the lenient reading is enough.
function _decodedPaths(decode: unknown, section: _Section): string[] {
  return collectDecodeRequestsLenient(decode).filter((r) => r.section === section).map((r) => r.path);
}

/**
 * Validate-time issues of every resource: `Unknown connector: <k>:<d>. Loaded: [...]` at
 * `resources.<name>.driver`, then config/options problems at `resources.<name>.<section>.<key>`.
 * `profiles` = the validated profiles; a resource naming an unknown profile is not checked for missing keys.
 */
export function resourceIssues(
  resources: Readonly<Record<string, RawResource>>,
  options: { registry: ConnectorRegistry; profiles?: Readonly<Record<string, ProfileLike>> },
): Issue[] {
  const out: Issue[] = [];
  for (const [name, res] of Object.entries(resources)) {
    const def = options.registry.find(res.kind, res.driver);
    if (!def) {
      out.push({
        code: "semantic:unknown_connector",
        loc: `resources.${name}.driver`,
        msg: unknownConnectorMessage(res.kind, res.driver, options.registry.keys()),
      });
      continue;
    }
    const profileName = res.profile ?? null;
    const profile = profileName === null ? undefined : options.profiles?.[profileName];
    const profileKnown = profileName === null || profile !== undefined;
    const merged = mergeProfileIntoResource(profile, res);
    for (const section of _SECTIONS) {
      const schema = def[section];
      if (!schema) continue;
      const decoded = _decodedPaths(merged.decode, section);
      for (const p of checkRaw(schema, merged[section])) {
        if (p.kind === "missing" && !profileKnown) continue;
        const dotted = formatPath(p.path);
        if (decoded.some((d) => dotted === d || dotted.startsWith(`${d}.`) || dotted.startsWith(`${d}[`))) {
          continue;
        }
        out.push({
          code: p.code ?? _CODES[p.kind],
          loc: `resources.${name}.${section}${p.path.length > 0 ? `.${dotted}` : ""}`,
          msg: _problemText(section, p),
        });
      }
    }
  }
  return out;
}

/**
 * Parse a built resource's config and options with the definition's schemas (at create time).
 * @throws {AetherflowError} `connector:invalid_config`: `Resource <name>: config.<key> must be …`,
 * `Resource <name>: missing config.<key>`, `Resource <name>: unknown config.<key>`.
 */
export function parseResourceConfig(
  def: AnyConnectorDefinition,
  resource: { name: string; config: Record<string, unknown>; options: Record<string, unknown> },
): { config: unknown; options: unknown } {
  const out: { config: unknown; options: unknown } = { config: resource.config, options: resource.options };
  for (const section of _SECTIONS) {
    const schema = def[section];
    if (!schema) continue;
    const parsed = parseFields(schema, resource[section]);
    if (!parsed.ok) {
      const first = parsed.problems[0]!;
      const where = `${section}.${formatPath(first.path)}`;
      const text = first.kind === "unknown"
        ? `unknown ${where}`
        : first.kind === "missing"
        ? `missing ${where}`
        : _problemText(section, first);
      throw new AetherflowError(`Resource ${resource.name}: ${text}`, {
        code: "connector:invalid_config",
        exitCode: EXIT.FAILED,
      });
    }
    out[section] = parsed.value;
  }
  return out;
}

/**
 * The secret values the resources' drivers declare (`ConnectorDefinition.secrets`), from each config with its
 * profile merged and `{{env.*}}` rendered with `snapshot`. A config that cannot be rendered is skipped (validate
 * reports it); decoded values are masked by the decoding itself.
 */
export function resourceSecrets(
  resources: Readonly<Record<string, RawResource>>,
  options: {
    registry: ConnectorRegistry;
    profiles?: Readonly<Record<string, ProfileLike>>;
    snapshot: Readonly<Record<string, string>>;
  },
): string[] {
  const out = new Set<string>();
  for (const res of Object.values(resources)) {
    const def = options.registry.find(res.kind, res.driver);
    if (!def?.secrets) continue;
    const profile = res.profile ? options.profiles?.[res.profile] : undefined;
    let config: unknown;
    try {
      config = renderValue(mergeProfileIntoResource(profile, res).config, { env: options.snapshot }, {
        roots: PHASE_ROOTS.resource,
      });
    } catch {
      continue;
    }
    for (const v of def.secrets(config as Record<string, unknown>)) {
      if (typeof v === "string" && v !== "") out.add(v);
    }
  }
  return [...out];
}
