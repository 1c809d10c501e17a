// The end of a fill run: serialise the in-memory template, write every data block, let the step finish its
// targets (overlap checks and autofilters that need the written row counts), then save atomically.
import type { FillSession } from "./_fill.ts";
import { type RegionResult, WorkbookWriter } from "./_xlsx_writer.ts";

export interface WriteOptions {
  output: string;
  scratchDir: string;
  signal: AbortSignal;
  /** Called with each region's result (in region order) before the file is saved. */
  finish?(results: RegionResult[]): void;
}

/** Write the session's workbook to `output` (via `<output>.tmp`). */
export async function writeSession(session: FillSession, options: WriteOptions): Promise<RegionResult[]> {
  const writer = await WorkbookWriter.open(session.book, options.scratchDir);
  try {
    const results: RegionResult[] = [];
    for (const region of session.regions) results.push(await writer.writeRegion(region, options.signal));
    options.finish?.(results);
    await writer.save(options.output, session.autofilters);
    return results;
  } finally {
    await writer.dispose();
  }
}
