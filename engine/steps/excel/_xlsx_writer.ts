// Writing the filled workbook (docs/steps.md "Excel: how values are written"). exceljs writes the template part
// (everything the steps changed in memory: inserted rows, headers, clears, styles, views) into a buffer; the data
// blocks ("regions") never enter exceljs: their rows are turned into cell XML one at a time, kept in line files in
// the job's scratch dir, and merged into the worksheets while the final zip is streamed to `<output>.tmp`, which
// is then renamed over `output`. Memory stays flat in the number of data rows.
import { dirname, join } from "node:path";
import { StepError } from "../../errors.ts";
import { columnLetters, MAX_COL, MAX_ROW, quoteSheetName, rangeText, type Rect } from "./_cells.ts";
import { type DefinedName, parseAttrs, renderDefinedNames } from "./_defined_names.ts";
import { cellXml, type ParsedSheet, parseSheet, type SheetCell, StyleBook } from "./_sheet_xml.ts";
import type { TemplateBook } from "./_template.ts";
import type { CellValue } from "./_values.ts";

/** A block of data rows written from (top, left) downwards. */
export interface Region {
  sheet: string;
  top: number;
  left: number;
  /** Rows the block is known to take (rows inserted for it), null when only the data will tell. */
  reservedRows: number | null;
  /** Data cell formats: null keeps each target cell's own format; a row number copies that row's formats. */
  styleRow: number | null;
  /** Opened when the region is written. */
  open(): Promise<AsyncIterable<CellValue[][]> | Iterable<CellValue[][]>>;
  /** Called per data row before it is written (guards); `index` counts from 0. */
  onRow?(index: number, width: number): void;
  /** Prefix of messages about a cell (`excel_fill_from_file target=x: `). */
  label: string;
}

export interface RegionResult {
  rows: number;
  width: number;
}

interface _Written {
  region: Region;
  file: string;
  rows: number;
  width: number;
}

// deno-lint-ignore no-explicit-any
type _Zip = any;

const _FLUSH = 1 << 18;

/** Lines of a text file, read in chunks. */
async function* _lines(path: string): AsyncGenerator<string> {
  const file = await Deno.open(path, { read: true });
  try {
    const decoder = new TextDecoder();
    const buf = new Uint8Array(1 << 18);
    let rest = "";
    while (true) {
      const n = await file.read(buf);
      if (n === null) break;
      const text = rest + decoder.decode(buf.subarray(0, n), { stream: true });
      const parts = text.split("\n");
      rest = parts.pop()!;
      for (const p of parts) yield p;
    }
    rest += decoder.decode();
    if (rest !== "") yield rest;
  } finally {
    file.close();
  }
}

interface _RegionLine {
  row: number;
  left: number;
  right: number;
  xml: string;
}

function _parseLine(line: string): _RegionLine {
  const a = line.indexOf("\t");
  const b = line.indexOf("\t", a + 1);
  const c = line.indexOf("\t", b + 1);
  return {
    row: Number(line.slice(0, a)),
    left: Number(line.slice(a + 1, b)),
    right: Number(line.slice(b + 1, c)),
    xml: line.slice(c + 1),
  };
}

const _CELL_IN_REGEXP = /<c r="([A-Z]+)\d+"[\s\S]*?(?:\/>|<\/c>)/g;

/** The cells of one output row: template cells outside the written spans, then each span (later ones win). */
function _mergeRow(template: SheetCell[], spans: _RegionLine[]): string {
  const covered = (col: number) => spans.some((s) => col >= s.left && col <= s.right);
  const pieces: { col: number; xml: string }[] = template.filter((c) => !covered(c.col));
  const overlapping = spans.some((s, i) =>
    spans.some((t, j) => j > i && s.left <= t.right && t.left <= s.right)
  );
  if (!overlapping) {
    for (const s of spans) pieces.push({ col: s.left, xml: s.xml });
  } else {
    const byCol = new Map<number, string>();
    for (const s of spans) {
      for (let c = s.left; c <= s.right; c++) byCol.delete(c);
      for (const m of s.xml.matchAll(_CELL_IN_REGEXP)) {
        let col = 0;
        for (const ch of m[1]!) col = col * 26 + ch.charCodeAt(0) - 64;
        byCol.set(col, m[0]);
      }
    }
    for (const [col, xml] of byCol) pieces.push({ col, xml });
  }
  pieces.sort((x, y) => x.col - y.col);
  return pieces.map((p) => p.xml).join("");
}

/** Turns the in-memory template plus data regions into the output file. */
export class WorkbookWriter {
  #book: TemplateBook;
  #entries: { name: string; data: Uint8Array }[];
  #sheetPaths: Map<string, string>;
  #parsed = new Map<string, ParsedSheet>();
  #styles: StyleBook;
  #written: _Written[] = [];
  #tmpDir: string;

  private constructor(
    book: TemplateBook,
    entries: { name: string; data: Uint8Array }[],
    sheetPaths: Map<string, string>,
    tmpDir: string,
  ) {
    this.#book = book;
    this.#entries = entries;
    this.#sheetPaths = sheetPaths;
    this.#tmpDir = tmpDir;
    this.#styles = new StyleBook(this.#text("xl/styles.xml") ?? "");
  }

  /** Serialise the in-memory workbook (formulas lose their cached results: data changed under them). */
  static async open(book: TemplateBook, scratchDir: string): Promise<WorkbookWriter> {
    for (const ws of book.wb.worksheets) {
      ws.eachRow((row) =>
        row.eachCell((cell) => {
          const v = cell.value as Record<string, unknown> | null;
          if (v && typeof v === "object" && ("formula" in v || "sharedFormula" in v) && "result" in v) {
            const { result: _dropped, ...rest } = v;
            cell.value = rest as never;
          }
        })
      );
    }
    book.wb.calcProperties.fullCalcOnLoad = true;
    // The names are written from book.names (exceljs would drop and split some).
    book.wb.definedNames.model = [];
    const buffer = new Uint8Array(await book.wb.xlsx.writeBuffer() as ArrayBuffer);
    const zip: _Zip = await import("@zip.js/zip.js");
    zip.configure({ useWebWorkers: false });
    const reader = new zip.ZipReader(new zip.Uint8ArrayReader(buffer));
    const entries: { name: string; data: Uint8Array }[] = [];
    try {
      for (const e of await reader.getEntries()) {
        if (!e.directory) {
          entries.push({ name: e.filename, data: await e.getData(new zip.Uint8ArrayWriter()) });
        }
      }
    } finally {
      await reader.close();
    }
    const text = (name: string) => {
      const e = entries.find((x) => x.name === name);
      return e ? new TextDecoder().decode(e.data) : "";
    };
    const rels = new Map<string, string>();
    for (const m of text("xl/_rels/workbook.xml.rels").matchAll(/<Relationship\b([^>]*?)\/?>/g)) {
      const a = parseAttrs(m[1]!);
      if (a.Id && a.Target) rels.set(a.Id, a.Target.replace(/^\/?(xl\/)?/, "xl/"));
    }
    const sheetPaths = new Map<string, string>();
    for (const m of text("xl/workbook.xml").matchAll(/<sheet\b([^>]*?)\/?>/g)) {
      const a = parseAttrs(m[1]!);
      const path = rels.get(a["r:id"] ?? "");
      if (a.name !== undefined && path) sheetPaths.set(a.name, path);
    }
    await Deno.mkdir(scratchDir, { recursive: true });
    const tmpDir = await Deno.makeTempDir({ dir: scratchDir, prefix: ".excel-" });
    return new WorkbookWriter(book, entries, sheetPaths, tmpDir);
  }

  #text(name: string): string | undefined {
    const e = this.#entries.find((x) => x.name === name);
    return e ? new TextDecoder().decode(e.data) : undefined;
  }

  #sheet(name: string): ParsedSheet {
    let parsed = this.#parsed.get(name);
    if (!parsed) {
      const path = this.#sheetPaths.get(name);
      const xml = path === undefined ? undefined : this.#text(path);
      if (xml === undefined) throw new StepError(`Worksheet ${name} does not exist.`);
      parsed = parseSheet(xml);
      this.#parsed.set(name, parsed);
    }
    return parsed;
  }

  /** Write a region's rows to its line file; returns how many rows and the widest row. */
  async writeRegion(region: Region, signal: AbortSignal): Promise<RegionResult> {
    const sheet = this.#sheet(region.sheet);
    const styleRowCells = new Map<number, number | null>();
    if (region.styleRow !== null) {
      for (const c of sheet.rows.get(region.styleRow)?.cells ?? []) styleRowCells.set(c.col, c.s);
    }
    const file = join(this.#tmpDir, `${this.#written.length}.rows`);
    const out = await Deno.open(file, { write: true, create: true, truncate: true });
    const encoder = new TextEncoder();
    let rows = 0;
    let width = 0;
    let pending = "";
    const letters: string[] = [];
    try {
      for await (const batch of await region.open()) {
        signal.throwIfAborted();
        for (const values of batch) {
          region.onRow?.(rows, values.length);
          const r = region.top + rows;
          if (r > MAX_ROW) {
            throw new StepError(`${region.label}data rows reach past Excel's last row ${MAX_ROW}`);
          }
          if (region.left + values.length - 1 > MAX_COL) {
            throw new StepError(`${region.label}row ${rows + 1} reaches past Excel's last column ${MAX_COL}`);
          }
          const own = region.styleRow === null ? sheet.rows.get(r)?.cells : undefined;
          let xml = "";
          for (let j = 0; j < values.length; j++) {
            const col = region.left + j;
            const letter = letters[j] ??= columnLetters(col);
            let s: number | null = null;
            if (region.styleRow !== null) s = styleRowCells.get(col) ?? null;
            else if (own) s = own.find((c) => c.col === col)?.s ?? null;
            try {
              xml += cellXml(`${letter}${r}`, values[j]!, s, this.#styles);
            } catch (err) {
              throw new StepError(`${region.label}cell ${letter}${r}: ${(err as Error).message}`);
            }
          }
          if (values.length > 0) {
            pending += `${r}\t${region.left}\t${region.left + values.length - 1}\t${xml}\n`;
          }
          rows++;
          if (values.length > width) width = values.length;
        }
        if (pending.length > _FLUSH) {
          await out.write(encoder.encode(pending));
          pending = "";
        }
      }
      if (pending !== "") await out.write(encoder.encode(pending));
    } finally {
      out.close();
    }
    this.#written.push({ region, file, rows, width });
    return { rows, width };
  }

  /** The sheet's used range over template cells and written regions. */
  #dimension(name: string, sheet: ParsedSheet): string {
    let rect: Rect | undefined;
    const add = (top: number, left: number, bottom: number, right: number) => {
      rect = rect
        ? {
          top: Math.min(rect.top, top),
          left: Math.min(rect.left, left),
          bottom: Math.max(rect.bottom, bottom),
          right: Math.max(rect.right, right),
        }
        : { top, left, bottom, right };
    };
    for (const [r, row] of sheet.rows) for (const c of row.cells) add(r, c.col, r, c.col);
    for (const w of this.#written) {
      if (w.region.sheet === name && w.rows > 0 && w.width > 0) {
        add(w.region.top, w.region.left, w.region.top + w.rows - 1, w.region.left + w.width - 1);
      }
    }
    return rect ? rangeText(rect) : "A1";
  }

  async *#sheetChunks(name: string, autofilter: string | undefined): AsyncGenerator<string> {
    const sheet = this.#sheet(name);
    yield sheet.head.replace(
      /<dimension ref="[^"]*"\/>/,
      `<dimension ref="${this.#dimension(name, sheet)}"/>`,
    );
    const readers = this.#written.filter((w) => w.region.sheet === name).map((w) => _lines(w.file));
    const heads: (_RegionLine | undefined)[] = [];
    for (const r of readers) {
      const n = await r.next();
      heads.push(n.done ? undefined : _parseLine(n.value));
    }
    const templateRows = [...sheet.rows.keys()].sort((a, b) => a - b);
    let t = 0;
    let buf = "";
    while (true) {
      let next = t < templateRows.length ? templateRows[t]! : Infinity;
      for (const h of heads) if (h && h.row < next) next = h.row;
      if (next === Infinity) break;
      const spans: _RegionLine[] = [];
      for (let k = 0; k < readers.length; k++) {
        // A region has at most one line per row.
        const h = heads[k];
        if (h && h.row === next) {
          spans.push(h);
          const n = await readers[k]!.next();
          heads[k] = n.done ? undefined : _parseLine(n.value);
        }
      }
      const own = t < templateRows.length && templateRows[t] === next ? sheet.rows.get(next) : undefined;
      if (own) t++;
      if (!own && spans.length === 1) buf += `<row r="${next}">${spans[0]!.xml}</row>`;
      else {buf += `<row r="${next}"${own?.attrs ? ` ${own.attrs.trim()}` : ""}>${
          _mergeRow(own?.cells ?? [], spans)
        }</row>`;}
      if (buf.length > _FLUSH) {
        yield buf;
        buf = "";
      }
    }
    if (buf !== "") yield buf;
    yield autofilter === undefined
      ? sheet.tail
      : sheet.tail.replace(/<autoFilter ref="[^"]*"/, `<autoFilter ref="${autofilter}"`);
  }

  /**
   * Write the file: `<output>.tmp`, then renamed over `output`. `autofilters` maps a sheet to its filter range;
   * each gets the hidden `_xlnm._FilterDatabase` name Excel keeps for it.
   */
  async save(output: string, autofilters: ReadonlyMap<string, Rect>): Promise<void> {
    const names: DefinedName[] = [...this.#book.names];
    const order = this.#book.wb.worksheets.map((ws) => ws.name);
    for (const [sheet, rect] of autofilters) {
      const idx = order.indexOf(sheet);
      const text = `${quoteSheetName(sheet)}!$${columnLetters(rect.left)}$${rect.top}:$${
        columnLetters(rect.right)
      }$${rect.bottom}`;
      const at = names.findIndex((n) => n.name === "_xlnm._FilterDatabase" && n.localSheetId === idx);
      const entry = { name: "_xlnm._FilterDatabase", localSheetId: idx, attrs: { hidden: "1" }, text };
      if (at >= 0) names[at] = entry;
      else names.push(entry);
    }
    const zip: _Zip = await import("@zip.js/zip.js");
    zip.configure({ useWebWorkers: false });
    const tmp = `${output}.tmp`;
    await Deno.mkdir(dirname(output), { recursive: true });
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    const writer = new zip.ZipWriter(file.writable, { level: 6 });
    let ok = false;
    try {
      const affected = new Set([...this.#written.map((w) => w.region.sheet), ...autofilters.keys()]);
      const pathToSheet = new Map([...this.#sheetPaths].map(([n, p]) => [p, n]));
      for (const e of this.#entries) {
        const sheet = pathToSheet.get(e.name);
        if (sheet !== undefined && affected.has(sheet)) {
          const rect = autofilters.get(sheet);
          const chunks = this.#sheetChunks(sheet, rect ? rangeText(rect) : undefined);
          const encoder = new TextEncoder();
          const stream = new ReadableStream<Uint8Array>({
            async pull(controller) {
              const n = await chunks.next();
              if (n.done) controller.close();
              else controller.enqueue(encoder.encode(n.value));
            },
          });
          await writer.add(e.name, stream);
          continue;
        }
        let data = e.data;
        if (e.name === "xl/styles.xml") {
          const styles = this.#styles.render();
          if (styles !== undefined) data = new TextEncoder().encode(styles);
        } else if (e.name === "xl/workbook.xml") {
          data = new TextEncoder().encode(_withNames(new TextDecoder().decode(data), names));
        }
        await writer.add(e.name, new zip.Uint8ArrayReader(data));
      }
      await writer.close();
      ok = true;
    } finally {
      try {
        file.close();
      } catch {
        // Already closed by the zip writer's stream.
      }
      if (!ok) await Deno.remove(tmp).catch(() => {});
    }
    await Deno.rename(tmp, output);
  }

  /** Remove the line files. */
  async dispose(): Promise<void> {
    await Deno.remove(this.#tmpDir, { recursive: true }).catch(() => {});
  }
}

/** workbook.xml with its `<definedNames>` replaced by `names` (placed after `</sheets>` when absent). */
function _withNames(xml: string, names: readonly DefinedName[]): string {
  const block = renderDefinedNames(names);
  const stripped = xml.replace(/<definedNames>[\s\S]*?<\/definedNames>|<definedNames\/>/, "");
  return block === "" ? stripped : stripped.replace("</sheets>", `</sheets>${block}`);
}
