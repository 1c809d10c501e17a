// Row counting of report_region targets (docs/steps.md "Excel: row counting"): `fast` counts line-end bytes,
// `csv_parse` counts records, parquet reads its footer.
import { StepError } from "../../errors.ts";
import { openDelimited, openParquet, type SourceSpec } from "./_sources.ts";

export const COUNT_MODES = ["fast", "csv_parse"] as const;

/** Occurrences of `needle` in the file (non-overlapping, found across chunk boundaries) and whether it ends with it. */
async function _countBytes(
  path: string,
  needle: Uint8Array,
): Promise<{ count: number; size: number; endsWith: boolean }> {
  const file = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    let count = 0;
    let size = 0;
    // Bytes of a partial match carried over from the previous chunk.
    let matched = 0;
    // Whether the last byte read completed a match: the file ends with the needle.
    let endsWith = false;
    while (true) {
      const n = await file.read(buf);
      if (n === null) break;
      size += n;
      for (let i = 0; i < n; i++) {
        const b = buf[i]!;
        matched = b === needle[matched] ? matched + 1 : b === needle[0] ? 1 : 0;
        endsWith = matched === needle.length;
        if (endsWith) {
          count++;
          matched = 0;
        }
      }
    }
    return { count, size, endsWith };
  } finally {
    file.close();
  }
}

/**
 * The number of data rows of a source. CSV/TSV: `fast` (line ends; +1 for a last line without one) or
 * `csv_parse` (records; blank lines count); minus one for the header when `readHeader`. Parquet: its row count.
 * @throws {StepError} for UTF-16/32 with `fast`, an empty linefeed or an unknown mode.
 */
export async function countRows(
  spec: SourceSpec,
  options: { mode: string; linefeed: string; readHeader: boolean },
): Promise<number> {
  if (spec.format === "parquet") {
    const parquet = await openParquet(spec.path);
    parquet.rows.close();
    return parquet.rowCount;
  }
  let count: number;
  if (options.mode === "fast") {
    if (/^utf-?(16|32)/i.test(spec.encoding.trim())) {
      throw new StepError("fast row counting does not support utf-16/utf-32; use count_mode=csv_parse");
    }
    if (options.linefeed === "") throw new StepError("linefeed must be non-empty");
    const r = await _countBytes(spec.path, new TextEncoder().encode(options.linefeed));
    count = r.count + (r.size > 0 && !r.endsWith ? 1 : 0);
  } else if (options.mode === "csv_parse") {
    count = 0;
    const rows = await openDelimited(spec);
    for await (const batch of rows.batches) count += batch.length;
  } else {
    throw new StepError(`Unsupported count_mode for CSV/TSV: ${options.mode}`);
  }
  if (options.readHeader && count > 0) count--;
  return Math.max(count, 0);
}
