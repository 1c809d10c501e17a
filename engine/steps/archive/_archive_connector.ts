// Which archive connector `zip` and `unzip` use (docs/steps.md "zip"): the `resource`/`connector` input, else a
// declared resource `archive_default`, else — refused in enterprise mode — an ad hoc zip.js connector: AES
// (`pyzipper`) with a password, `zipfile` without.
import { AetherflowError, StepError } from "../../errors.ts";
import { parseResourceConfig } from "../../connectors/config.ts";
import { archivePyzipper } from "../../connectors/drivers/archive_pyzipper.ts";
import { archiveZipfile } from "../../connectors/drivers/archive_zipfile.ts";
import type { ArchiveConnector } from "../../connectors/kinds/mod.ts";
import type { AnyConnectorDefinition } from "../../connectors/types.ts";
import { asBool } from "../../inputs/mod.ts";
import type { StepConnectorUse, StepContext } from "../types.ts";

export const ARCHIVE_DEFAULT = "archive_default";
export const ENTERPRISE_NEEDS_RESOURCE = "Zip/Unzip requires declared archive resource in enterprise mode";

/** The `connector` of both steps: validated like any resource input, `archive_default` as the fallback. */
export function archiveConnectorUse(method: "create_zip" | "extract_zip"): StepConnectorUse {
  return {
    input: "resource",
    aliases: ["connector"],
    kinds: ["archive"],
    methods: [method],
    fallback: {
      resource: ARCHIVE_DEFAULT,
      enterprise: { code: "semantic:enterprise_archive_resource", msg: ENTERPRISE_NEEDS_RESOURCE },
    },
  };
}

/** Enterprise mode as the run sees it: `AETHERFLOW_MODE=enterprise` or `AETHERFLOW_MODE_ENTERPRISE` true. */
export function isEnterprise(env: Readonly<Record<string, string>>): boolean {
  const mode = (env.AETHERFLOW_MODE ?? "").trim().toLowerCase() === "enterprise";
  return mode || asBool(env.AETHERFLOW_MODE_ENTERPRISE ?? "") === true;
}

async function _adHoc(def: AnyConnectorDefinition, ctx: StepContext): Promise<ArchiveConnector> {
  const name = `<ad hoc ${def.kind}:${def.driver}>`;
  const parsed = parseResourceConfig(def, { name, config: {}, options: {} });
  const resource = { name, kind: def.kind, driver: def.driver, decode: {}, ...parsed } as const;
  return await def.create(resource as never, {
    signal: ctx.signal,
    log: ctx.log,
    clock: ctx.clock,
    addSecret: ctx.addSecret,
  }) as ArchiveConnector;
}

/** The connector for this step, chosen before any archive is touched. */
export async function chooseArchiveConnector(
  input: { resource: string | null; connector: string | null; password: string | null },
  ctx: StepContext,
): Promise<ArchiveConnector> {
  const named = input.resource || input.connector;
  if (named) return await ctx.connectors.archive(named);
  try {
    return await ctx.connectors.archive(ARCHIVE_DEFAULT);
  } catch (err) {
    if (!(err instanceof AetherflowError) || err.code !== "connector:unknown_resource") throw err;
  }
  if (isEnterprise(ctx.env)) throw new StepError(ENTERPRISE_NEEDS_RESOURCE);
  return await _adHoc(input.password ? archivePyzipper : archiveZipfile, ctx);
}
