// `aetherflow schema [--profiles]`: the JSON Schema of the flow (or profiles) format, from the zod models
// validation uses, for editors (`# yaml-language-server: $schema=…`).
import type { Command } from "@commander-js/extra-typings";
import { flowJsonSchema, profilesJsonSchema } from "../engine/spec/mod.ts";

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("Print the JSON Schema of the flow format (or of the profiles file with --profiles)")
    .option("--profiles", "print the profiles file schema instead")
    .action((opts) => {
      console.log(JSON.stringify(opts.profiles ? profilesJsonSchema() : flowJsonSchema(), null, 2));
    });
}
