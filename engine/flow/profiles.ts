/**
 * Profiles: schema check (docs/yaml-spec.md, docs/validation.md) [D6] and template scan. `validateProfiles` is also what the
 * run-time loader uses, so validate and run agree.
 * @module
 */
import { isStandaloneToken, STRICT_ERR, stringLeaves } from "../resolver/mod.ts";
import type { Issue } from "../types.ts";
import { mapZodIssues } from "./_zod_issues.ts";
import { profilesDocSchema, type ProfileSpec } from "./flow_model.ts";
import { scanLeaf, type ScanResult } from "./template_scan.ts";
import { datesAsText } from "../yaml11.ts";

/** Validated profiles plus schema issues (locs `profiles`, `profiles.<p>.<key>`). */
export interface ValidatedProfiles {
  profiles: Record<string, ProfileSpec>;
  issues: Issue[];
}

/**
 * Check a raw profiles document (`null`/`undefined` = no profiles configured). Never throws.
 * @param raw the parsed JSON/YAML document
 */
export function validateProfiles(raw: unknown): ValidatedProfiles {
  if (raw === null || raw === undefined) return { profiles: {}, issues: [] };
  const parsed = profilesDocSchema.safeParse(raw, { reportInput: true });
  // As in flows, a date left in a free-form value is PyYAML's text (docs/yaml-spec.md).
  if (parsed.success) return { profiles: datesAsText(parsed.data), issues: [] };
  const issues = mapZodIssues(parsed.error.issues).map(({ path: _path, ...issue }) => ({
    ...issue,
    loc: issue.loc === "<root>" ? "profiles" : `profiles.${issue.loc}`,
  }));
  return { profiles: {}, issues };
}

/**
 * Template scan of every profile, referenced or not (docs/validation.md): sections `config`, `options`, `decode`, each
 * string leaf rendered with `env` only. In `decode` a non-standalone `{{…}}` leaf also yields `STRICT_ERR`.
 */
export function scanProfiles(
  profiles: Record<string, ProfileSpec>,
  options: { snapshot: Readonly<Record<string, string>>; strictEnv: boolean },
): ScanResult {
  const out: ScanResult = { errors: [], warnings: [] };
  const ctx = { env: options.snapshot };
  for (const [name, profile] of Object.entries(profiles)) {
    for (const section of ["config", "options", "decode"] as const) {
      for (const leaf of stringLeaves(profile[section], `profiles.${name}.${section}`)) {
        scanLeaf(leaf.value, leaf.loc, { ctx, out, strictEnv: options.strictEnv });
        if (section === "decode" && leaf.value.includes("{{") && !isStandaloneToken(leaf.value)) {
          out.errors.push({ code: "template:syntax", loc: leaf.loc, msg: STRICT_ERR });
        }
      }
    }
  }
  return out;
}
