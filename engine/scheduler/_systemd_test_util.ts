// Test helper: run `systemd-analyze` when the host has it (systemd 252 here); tests skip with a reason otherwise.

export interface AnalyzeResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function systemdAnalyze(
  args: string[],
  cwd?: string,
  env: Record<string, string> = {},
): AnalyzeResult | null {
  try {
    const out = new Deno.Command("systemd-analyze", {
      args,
      cwd,
      env: { TZ: "UTC", SYSTEMD_LOG_LEVEL: "warning", ...env },
    })
      .outputSync();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Null when systemd-analyze is available, else the reason to print when skipping. */
export const SYSTEMD_SKIP_REASON: string | null = systemdAnalyze(["--version"]) === null
  ? "systemd-analyze not found on PATH: systemd checks skipped"
  : null;

/** Elapses (epoch ms) printed by `systemd-analyze calendar --iterations=N` for one spec. */
export function calendarElapses(spec: string, base: number, iterations: number): number[] {
  const baseText = new Date(base).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const res = systemdAnalyze(["calendar", `--iterations=${iterations}`, `--base-time=${baseText}`, spec]);
  if (!res) return [];
  if (res.code !== 0) throw new Error(`systemd-analyze calendar rejected '${spec}': ${res.stderr}`);
  const out: number[] = [];
  for (
    const m of res.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)
  ) {
    out.push(Date.parse(`${(m[1] as string).replace(" ", "T")}Z`));
  }
  return out;
}
