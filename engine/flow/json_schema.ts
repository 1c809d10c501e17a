/**
 * JSON Schema of the flow and profiles formats, generated from the same zod models validation uses, for
 * editors (`# yaml-language-server: $schema=…`) and `aetherflow schema`.
 * @module
 */
import { z } from "zod";
import { INT_SCHEMAS } from "./_fields.ts";
import { flowSchema, profilesDocSchema } from "./flow_model.ts";

// What an int field accepts (docs/yaml-spec.md): integers, booleans and numeric strings.
const _INT_JSON = {
  anyOf: [{ type: "integer" }, { type: "boolean" }, {
    type: "string",
    pattern: "^\\s*[+-]?\\d(_?\\d)*(\\.0*)?\\s*$",
  }],
};

interface _DefLike {
  type: string;
  innerType?: object;
  defaultValue?: unknown;
}

function _toJsonSchema(schema: z.ZodType, title: string): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      // Int fields are transforms (input side `unknown`); describe what they accept, keeping the default.
      const def = (ctx.zodSchema as unknown as { _zod: { def: _DefLike } })._zod.def;
      if (INT_SCHEMAS.has(ctx.zodSchema)) Object.assign(ctx.jsonSchema, _INT_JSON);
      else if (def.type === "default" && def.innerType && INT_SCHEMAS.has(def.innerType)) {
        Object.assign(ctx.jsonSchema, _INT_JSON, { default: def.defaultValue });
      }
    },
  }) as Record<string, unknown>;
  return { ...out, title };
}

/** The flow file JSON Schema (draft 2020-12). */
export function flowJsonSchema(): Record<string, unknown> {
  return _toJsonSchema(flowSchema, "aetherflow flow");
}

/** The profiles file JSON Schema (draft 2020-12). */
export function profilesJsonSchema(): Record<string, unknown> {
  return _toJsonSchema(profilesDocSchema, "aetherflow profiles");
}
