// Shared test helpers: a finished run's events through a real Logger, and an exposition-format checker.
import assert from "node:assert/strict";
import { Logger } from "../logger.ts";
import { RunEvents } from "../events.ts";

/** Emits the events of a small run on `logger`: job `a` (two steps) SUCCESS, job `b` FAILED in step `boom`. */
export function emitRun(
  logger: Logger,
  options: { flowId?: string; runId?: string; fail?: boolean } = {},
): void {
  const ev = new RunEvents({ logger, flowId: options.flowId ?? "demo", runId: options.runId ?? "R1" });
  ev.runStart("/f.yaml", "/state.sqlite");
  ev.jobStart("a");
  ev.stepStart("a", "s1", "check_items");
  ev.stepEnd("a", { step_id: "s1", step_type: "check_items", status: "SUCCESS", duration_ms: 1500 });
  ev.stepStart("a", "s2", "check_items");
  ev.stepEnd("a", { step_id: "s2", step_type: "check_items", status: "SKIPPED", duration_ms: 2 });
  ev.jobEnd("a", "SUCCESS", 1502, null);
  const counts: Record<string, number> = { SUCCESS: 1 };
  if (options.fail) {
    ev.jobStart("b");
    ev.stepStart("b", "boom", "external.process");
    ev.jobEnd("b", "FAILED", 40, null);
    counts.FAILED = 1;
  }
  ev.runSummary(2250, counts);
}

/** A logger whose lines are kept. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ write: (l) => lines.push(l), now: () => 0 }), lines };
}

const _SAMPLE_REGEXP =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*)?\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

/** Asserts `text` is valid text exposition: HELP/TYPE once per family, before its samples, no stray lines. */
export function assertExposition(text: string): void {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const typed = new Set<string>();
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        assert.ok(!typed.has(meta[2]!), `one TYPE for ${meta[2]}`);
        assert.match(meta[3]!, /^(counter|gauge|histogram|summary|untyped)$/);
        typed.add(meta[2]!);
      }
      continue;
    }
    const m = _SAMPLE_REGEXP.exec(line);
    assert.ok(m, `sample line: ${line}`);
    assert.ok(typed.has(m[1]!), `TYPE before ${m[1]}`);
    assert.ok(!seen.has(line.replace(/ \S+$/, "")), `series once: ${line}`);
    seen.add(line.replace(/ \S+$/, ""));
  }
}

/** The value of one series, by its exact `name{labels}` text. */
export function sampleValue(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
