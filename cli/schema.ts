// `aetherflow schema [--profiles]`: the JSON Schema of the flow (or profiles) format, from the zod models
// validation uses, for editors (`# yaml-language-server: $schema=…`). The generator is imported when the
// command runs, so registering it costs other commands nothing.
import type { Command } from "@commander-js/extra-typings";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("Print the JSON Schema of the flow format (or of the profiles file with --profiles)")
    .option("--profiles", "print the profiles file schema instead")
    .action(async (opts) => {
      const { flowJsonSchema, profilesJsonSchema } = await import("../engine/flow/json_schema.ts");
      console.log(JSON.stringify(opts.profiles ? profilesJsonSchema() : flowJsonSchema(), null, 2));
    });
}
