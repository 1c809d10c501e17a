// `aetherflow graph [FLOW_YAML] [--format mermaid|dot]` (docs/cli.md "graph"): the job graph as text.
import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { SpecError } from "../engine/errors.ts";
import { collect, ENV_FILE_HELP } from "./_env_help.ts";
import { resolveFlowPath } from "./_flow_path.ts";

const _FORMATS = ["mermaid", "dot"] as const;

export function registerGraph(program: Command): void {
  program.command("graph")
    .description("Print the job graph: Mermaid (default) or Graphviz DOT")
    .argument("[flow_yaml]", "the flow file")
    .option("--flow-yaml <path>", "the flow file (instead of FLOW_YAML)")
    .option("--format <format>", "mermaid or dot", _parseFormat, "mermaid" as (typeof _FORMATS)[number])
    .option("--env-file <path>", ENV_FILE_HELP, collect, [] as string[])
    .addHelpText(
      "after",
      `
Edges are depends_on; a job with a when gate is dashed and labelled; plugin steps are marked [plugin].

Examples:
  aetherflow graph flows/daily.yaml > daily.mmd
  aetherflow graph flows/daily.yaml --format dot | dot -Tsvg > daily.svg`,
    )
    .action(async (flowArg, opts) => {
      const flowPath = resolveFlowPath({ positional: flowArg, option: opts.flowYaml });
      const [{ prepareFlow }, { flowToDot, flowToMermaid }] = await Promise.all([
        import("../compose/mod.ts"),
        import("../engine/flow/mod.ts"),
      ]);
      const prepared = await prepareFlow(flowPath, {
        strictEnv: false,
        envFiles: opts.envFile,
        log: (line) => console.error(line),
      });
      await prepared.close();
      const { report, registry, masker } = prepared;
      if (!report.flow) throw new SpecError(report.errors, report.warnings);
      const isPlugin = (type: string) => {
        const origin = registry.get(type)?.origin;
        return origin !== undefined && origin !== "builtin";
      };
      const text = opts.format === "dot"
        ? flowToDot(report.flow, { isPlugin })
        : flowToMermaid(report.flow, { isPlugin });
      console.log(masker.mask(text));
    });
}

function _parseFormat(value: string): (typeof _FORMATS)[number] {
  const v = value.trim().toLowerCase();
  if (!(_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError("must be mermaid or dot");
  return v as (typeof _FORMATS)[number];
}
