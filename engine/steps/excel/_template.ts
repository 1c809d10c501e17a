// Loading a template workbook: npm `exceljs` (loaded lazily) holds the sheets in memory; the defined names are read
// from xl/workbook.xml directly because exceljs drops names that are not plain ranges and their sheet scope.
import type { CellValue as ExcelCellValue, Workbook, Worksheet } from "exceljs";
import { StepError } from "../../errors.ts";
import { type DefinedName, parseDefinedNames, parseSheetNames } from "./_defined_names.ts";
import { valueText } from "./_values.ts";

/** The in-memory template: exceljs workbook plus the names as written in the file. */
export interface TemplateBook {
  wb: Workbook;
  names: DefinedName[];
  /** Sheet names in workbook order (what `localSheetId` indexes). */
  sheetOrder: string[];
}

/** Read a zip member as text, or undefined when absent. */
export async function zipText(bytes: Uint8Array, member: string): Promise<string | undefined> {
  const zip = await import("@zip.js/zip.js");
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  try {
    for (const entry of await reader.getEntries()) {
      if (entry.filename === member && !entry.directory) return await entry.getData!(new zip.TextWriter());
    }
    return undefined;
  } finally {
    await reader.close();
  }
}

/**
 * Load a template. `.xlsx`/`.xlsm` only (what exceljs reads).
 * @throws {StepError} `Excel template not found: <p>` / `Excel template is not a readable .xlsx file: <p>`.
 */
export async function loadTemplate(path: string): Promise<TemplateBook> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new StepError(`Excel template not found: ${path}`);
    throw err;
  }
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  let workbookXml: string | undefined;
  try {
    workbookXml = await zipText(bytes, "xl/workbook.xml");
    if (workbookXml === undefined) throw new Error("no xl/workbook.xml");
    // exceljs's typings ask for a Node Buffer; a Uint8Array is what it reads.
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (err) {
    throw new StepError(`Excel template is not a readable .xlsx file: ${path} (${(err as Error).message})`, {
      cause: err,
    });
  }
  return { wb, names: parseDefinedNames(workbookXml), sheetOrder: parseSheetNames(workbookXml) };
}

/** The worksheets in workbook order. */
export function sheetsOf(book: TemplateBook): Worksheet[] {
  return book.wb.worksheets;
}

/** A cell value's text for anchor matching (formulas by their cached result), or null for empty/error cells. */
export function cellText(value: ExcelCellValue): { text: string; isString: boolean } | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return { text: value, isString: true };
  if (typeof value === "number" || typeof value === "boolean") {
    return { text: valueText(value), isString: false };
  }
  if (value instanceof Date) return { text: valueText(value), isString: false };
  const v = value as unknown as Record<string, unknown>;
  if (Array.isArray(v.richText)) {
    return { text: (v.richText as { text?: string }[]).map((r) => r.text ?? "").join(""), isString: true };
  }
  if (typeof v.text === "string") return { text: v.text, isString: true };
  if ("formula" in v || "sharedFormula" in v) {
    return v.result === undefined ||
        (typeof v.result === "object" && v.result !== null && !(v.result instanceof Date))
      ? null
      : cellText(v.result as ExcelCellValue);
  }
  return null;
}

/** Normalised anchor text: NBSP as space, trimmed, runs of whitespace collapsed. */
export function normaliseText(text: string): string {
  return text.replaceAll("\u00a0", " ").trim().replace(/\s+/g, " ");
}
