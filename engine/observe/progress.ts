/**
 * Live progress for a terminal: a single status line redrawn under the log lines, and a final status table
 * at `run_summary`. Used only when stderr is a TTY; otherwise the CLI writes plain lines (docs/observability.md).
 * @module
 */
import type { EventFields } from "./logger.ts";
import { EVENT, type SummaryJob } from "./events.ts";

const CLEAR_LINE = "\r\x1b[2K";

export interface LiveProgressOptions {
  /** Raw writer (no newline added). */
  write: (chunk: string) => void;
  /** Number of jobs this invocation may process, for `job i/n`. */
  totalJobs?: number;
}

export class LiveProgress {
  readonly #write: (chunk: string) => void;
  readonly #totalJobs: number | undefined;
  #status = "";
  #jobsStarted = 0;
  #job = "";
  #step = "";
  #done = false;

  constructor(options: LiveProgressOptions) {
    this.#write = options.write;
    this.#totalJobs = options.totalJobs;
  }

  /** Writer for the logger: the progress line is cleared, the log line printed, the progress line redrawn. */
  writeLine(line: string): void {
    this.#write(`${this.#status ? CLEAR_LINE : ""}${line}\n${this.#status}`);
  }

  /** Event listener to register with `Logger.onEvent`. */
  onEvent(name: string, fields: EventFields): void {
    if (this.#done) return;
    const str = (k: string) => String(fields[k] ?? "");
    switch (name) {
      case EVENT.RUN_START:
        this.#setStatus(`▶ ${str("flow_id")} run ${str("run_id")}: starting`);
        break;
      case EVENT.JOB_START:
        this.#jobsStarted++;
        this.#job = str("job_id");
        this.#step = "";
        this.#redraw();
        break;
      case EVENT.STEP_START:
        this.#step = `${str("step_id")} (${str("step_type")})`;
        this.#redraw();
        break;
      case EVENT.JOB_END:
        this.#step = `done: ${str("status")}`;
        this.#redraw();
        break;
      case EVENT.RUN_SUMMARY:
        this.#done = true;
        this.#setStatus("");
        this.#write(renderStatusTable(fields));
        break;
    }
  }

  #redraw(): void {
    const of = this.#totalJobs === undefined ? "" : `/${this.#totalJobs}`;
    this.#setStatus(`▶ job ${this.#jobsStarted}${of} ${this.#job}${this.#step ? ` · ${this.#step}` : ""}`);
  }

  #setStatus(text: string): void {
    this.#write(`${this.#status ? CLEAR_LINE : ""}${text}`);
    this.#status = text;
  }
}

/** The final table: one row per job that started, then the status counts. */
export function renderStatusTable(fields: EventFields): string {
  const jobs = (fields.jobs ?? []) as unknown as SummaryJob[];
  const rows = [["JOB", "STATUS", "DURATION", "STEPS", "NOTE"]];
  for (const j of jobs) {
    rows.push([j.job_id, j.status, `${j.duration_ms}ms`, String(j.steps.length), j.skip_reason ?? ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd());
  lines.push(`status_counts ${JSON.stringify(fields.status_counts ?? {})}`);
  if (typeof fields.error === "string") lines.push(`error: ${fields.error}`);
  return lines.join("\n") + "\n";
}
