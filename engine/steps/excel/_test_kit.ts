// Test kit of the Excel steps: a step context over real temp dirs, the openpyxl-made templates of testdata/excel,
// and a reader of .xlsx files built on another library than the steps use — Debian's python3-openpyxl — that
// returns what a user would see (values with their types, number formats, bold, fills, merges, names, panes,
// filters). Tests that need openpyxl are ignored with the reason when /usr/bin/python3 cannot import it.
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { fakeContext, type FakeContextOptions } from "../_test_context.ts";
import type { StepContext } from "../types.ts";

const _TEMPLATES = fromFileUrl(new URL("../../../testdata/excel/", import.meta.url));

/** A work root with a job artifacts dir, removed afterwards. */
export interface ExcelWork extends AsyncDisposable {
  root: string;
  ctx: StepContext & { calls: string[] };
  /** Absolute path of a file under the artifacts dir. */
  art(rel: string): string;
  /** Copy testdata/excel/<name> into the artifacts dir; returns the relative path for inputs. */
  template(name: string): Promise<string>;
  /** Write a text file under the artifacts dir; returns the relative path. */
  write(rel: string, text: string): Promise<string>;
}

export async function excelWork(options: FakeContextOptions = {}): Promise<ExcelWork> {
  const root = await Deno.makeTempDir({ prefix: "af-excel-" });
  const ctx = fakeContext({ workRoot: root, ...options });
  await Deno.mkdir(ctx.artifactsDir, { recursive: true });
  const art = (rel: string) => join(ctx.artifactsDir, rel);
  return {
    root,
    ctx,
    art,
    async template(name) {
      await Deno.copyFile(join(_TEMPLATES, name), art(name));
      return name;
    },
    async write(rel, text) {
      await Deno.mkdir(join(art(rel), ".."), { recursive: true });
      await Deno.writeTextFile(art(rel), text);
      return rel;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** Header, anchor and style options of the demo reports' QIP/QC targets (docs/steps.md examples). */
export const DEMO_REGION_OPTIONS = {
  type_cast: "schema",
  insert: "below",
  anchor_is_marker: true,
  template_has_header: true,
  header_mode: "override",
  header_style: "template",
  header_clear: true,
  header_clear_width: 50,
  anchor_clear: true,
  anchor_clear_mode: "cell",
  style_mode: "copy_row",
  style_row_offset: 2,
  style_apply: "data",
  clear_style_row: false,
} as const;

/** The SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The path of a committed template. */
export function templatePath(name: string): string {
  return join(_TEMPLATES, name);
}

const _PY = "/usr/bin/python3";

const _SCRIPT = String.raw`
import json, sys, datetime
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1])
out = {"sheets": [], "names": {}}
for dn in wb.defined_names.definedName:
    key = dn.name if dn.localSheetId is None else "%s@%s" % (dn.name, dn.localSheetId)
    out["names"][key] = dn.attr_text
for ws in wb.worksheets:
    cells = {}
    for row in ws.iter_rows():
        for c in row:
            v = c.value
            if v is None and not c.has_style:
                continue
            if isinstance(v, datetime.datetime):
                t, v = "datetime", v.isoformat()
            elif isinstance(v, datetime.date):
                t, v = "date", v.isoformat()
            elif isinstance(v, bool):
                t = "bool"
            elif isinstance(v, int):
                t = "int"
            elif isinstance(v, float):
                t = "float"
            elif v is None:
                t = "empty"
            elif isinstance(v, str) and c.data_type == "f":
                t = "formula"
            else:
                t = "str"
            fill = c.fill.fgColor.rgb if c.fill is not None and c.fill.fill_type == "solid" else None
            cells[c.coordinate] = {"v": v, "t": t, "fmt": c.number_format, "bold": bool(c.font and c.font.b),
                                   "fill": fill if isinstance(fill, str) else None,
                                   "border": bool(c.border and c.border.left and c.border.left.style)}
    out["sheets"].append({
        "name": ws.title, "cells": cells, "dims": ws.dimensions,
        "merges": sorted(str(m) for m in ws.merged_cells.ranges),
        "freeze": ws.freeze_panes, "autofilter": ws.auto_filter.ref,
        "validations": [str(dv.sqref) for dv in ws.data_validations.dataValidation],
        "cf": sorted(str(r.sqref) for r in ws.conditional_formatting),
    })
print(json.dumps(out))
`;

export interface InspectedCell {
  v: string | number | boolean | null;
  t: "str" | "int" | "float" | "bool" | "datetime" | "date" | "formula" | "empty";
  fmt: string;
  bold: boolean;
  fill: string | null;
  border: boolean;
}

export interface InspectedSheet {
  name: string;
  cells: Record<string, InspectedCell>;
  dims: string;
  merges: string[];
  freeze: string | null;
  autofilter: string | null;
  validations: string[];
  cf: string[];
}

export interface Inspected {
  sheets: InspectedSheet[];
  names: Record<string, string>;
}

function _hasOpenpyxl(): boolean {
  try {
    const r = new Deno.Command(_PY, { args: ["-c", "import openpyxl"], stdout: "null", stderr: "null" })
      .outputSync();
    return r.success;
  } catch {
    return false;
  }
}

/** Why openpyxl tests are ignored, or undefined when it is available. */
export const OPENPYXL_MISSING: string | undefined = _hasOpenpyxl()
  ? undefined
  : "python3-openpyxl is not installed (apt-get install python3-openpyxl; `deno task test` installs it as root)";

/** The workbook as openpyxl reads it. */
export async function inspectXlsx(path: string): Promise<Inspected> {
  const r = await new Deno.Command(_PY, { args: ["-c", _SCRIPT, path], stdout: "piped", stderr: "piped" })
    .output();
  if (!r.success) throw new Error(`openpyxl could not read ${path}: ${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

/** One sheet of an inspected workbook. */
export function sheetOf(book: Inspected, name: string): InspectedSheet {
  const s = book.sheets.find((x) => x.name === name);
  if (!s) throw new Error(`no sheet ${name} in ${book.sheets.map((x) => x.name).join(",")}`);
  return s;
}

/** `{A1: value, …}` of the cells holding a value. */
export function valuesOf(sheet: InspectedSheet): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(sheet.cells).filter(([, c]) => c.v !== null).map(([k, c]) => [k, c.v]),
  );
}

function _which(program: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const p = join(dir, program);
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not there
    }
  }
  return undefined;
}

const _SOFFICE = _which("soffice");

/** Why LibreOffice checks are ignored (it is not in the test harness's packages: a 300 MB install). */
export const LIBREOFFICE_MISSING: string | undefined = _SOFFICE
  ? undefined
  : "LibreOffice is not installed (apt-get install libreoffice-calc-nogui); it is optional, openpyxl checks run";

/**
 * Every sheet of a workbook as LibreOffice computes it (formulas recalculated where no cached result is stored):
 * headless conversion to UTF-8 CSV, one file per sheet.
 */
export async function libreOfficeSheets(path: string): Promise<Record<string, string[][]>> {
  const out = await Deno.makeTempDir({ prefix: "af-lo-" });
  try {
    const r = await new Deno.Command(_SOFFICE!, {
      args: [
        "--headless",
        `-env:UserInstallation=file://${out}/profile`,
        "--convert-to",
        // UTF-8, comma, double quote; the last token -1 writes every sheet to its own file.
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
        "--outdir",
        out,
        path,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`soffice failed: ${new TextDecoder().decode(r.stderr)}`);
    const base = path.split("/").pop()!.replace(/\.xlsx$/, "");
    const sheets: Record<string, string[][]> = {};
    for await (const e of Deno.readDir(out)) {
      if (!e.name.endsWith(".csv")) continue;
      const name = e.name.slice(base.length + 1, -4);
      const text = await Deno.readTextFile(join(out, e.name));
      sheets[name] = text.split("\n").filter((l) => l !== "").map((l) => l.split(","));
    }
    return sheets;
  } finally {
    await Deno.remove(out, { recursive: true }).catch(() => {});
  }
}
