// `deno task json-schemas`: write docs/json-schemas/<name>.schema.json from cli/_output_schemas.ts (the test
// tests/json_output_test.ts fails when a published file is stale).
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { OUTPUT_SCHEMAS, outputJsonSchema, type OutputSchemaName } from "../cli/_output_schemas.ts";

export const SCHEMA_DIR: string = fileURLToPath(new URL("../docs/json-schemas/", import.meta.url));

/** The text of each published file. */
export function renderSchemaFiles(): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(OUTPUT_SCHEMAS) as OutputSchemaName[]).map((name) => [
      `${name}.schema.json`,
      JSON.stringify(outputJsonSchema(name), null, 2) + "\n",
    ]),
  );
}

if (import.meta.main) {
  await Deno.mkdir(SCHEMA_DIR, { recursive: true });
  for (const [file, text] of Object.entries(renderSchemaFiles())) {
    await Deno.writeTextFile(join(SCHEMA_DIR, file), text);
    console.log(`wrote docs/json-schemas/${file}`);
  }
}
