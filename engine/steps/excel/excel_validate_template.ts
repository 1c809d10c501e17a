/**
 * `excel_validate_template`: a template must hold each required name as a workbook-level defined name or as the
 * text of a cell (docs/steps.md "excel_validate_template"). Read-only.
 * @module
 */
import { StepError } from "../../errors.ts";
import { fail, field, fields, parseJsonish, toText } from "../../inputs/mod.ts";
import { defineStep } from "../types.ts";
import { cellText, loadTemplate, normaliseText } from "./_template.ts";

/** `required_names` as a list: a list as is, a JSON list string parsed, any other string one name. */
export function requiredNamesOf(value: unknown): string[] | undefined {
  const v = parseJsonish(value);
  if (Array.isArray(v)) return v.map(toText);
  if (typeof v === "string") return [v];
  return undefined;
}

export const excelValidateTemplateStep = defineStep({
  type: "excel_validate_template",
  origin: "builtin",
  inputs: fields.fixedMap({
    template_path: fields.path(),
    required_names: field(
      (v, ctx) =>
        requiredNamesOf(v) ??
          fail(ctx, `required_names must be a list of strings ${JSON.stringify(v)}`, { verbatim: true }),
      { required: true },
    ),
    sheet: fields.text({ default: null, scalars: true }),
  }),
  async run(input, ctx) {
    const book = await loadTemplate(await ctx.paths.resolve(input.template_path));
    const sheets = input.sheet === null ? book.wb.worksheets : [book.wb.getWorksheet(input.sheet)];
    if (sheets[0] === undefined) throw new StepError(`Sheet not found: ${input.sheet}`);
    const globalNames = new Set(book.names.filter((n) => n.localSheetId === null).map((n) => n.name));
    const texts = new Set<string>();
    for (const ws of sheets) {
      ws!.eachRow((row) =>
        row.eachCell((cell) => {
          const t = cellText(cell.value);
          if (t?.isString) texts.add(normaliseText(t.text));
        })
      );
    }
    const namedRanges: string[] = [];
    const anchorCells: string[] = [];
    const missing: string[] = [];
    for (const name of input.required_names) {
      if (globalNames.has(name)) namedRanges.push(name);
      else if (texts.has(normaliseText(name))) anchorCells.push(name);
      else missing.push(name);
    }
    if (missing.length > 0) {
      throw new StepError(
        `Template missing named ranges or anchor cells: ${JSON.stringify(missing)} ${
          JSON.stringify(input.required_names)
        }`,
      );
    }
    return {
      outputs: {
        template_ok: true,
        found_named_ranges: [...new Set(namedRanges)].sort(),
        found_anchor_cells: [...new Set(anchorCells)].sort(),
      },
    };
  },
});
