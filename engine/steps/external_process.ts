/**
 * The `external.process` built-in step (docs/steps.md "external.process", D16): run an OS process in its own
 * process group with timeout, retries, success checks, marker / atomic-dir idempotency and explicit log modes.
 * @module
 */
import { isMaskableSecret, isSecretKey } from "../config/masking.ts";
import { StepError } from "../errors.ts";
import type { JsonObject } from "../types.ts";
import { defineStep, type StepContext, type StepPaths, type StepResult } from "./types.ts";
import {
  finalizeAtomicDir,
  firstFailedCheck,
  resetTempDir,
  type ResolvedChecks,
  splitGlob,
} from "./_external_process_checks.ts";
import { runAttempt } from "./_external_process_attempt.ts";
import {
  backoffDelay,
  buildChildEnv,
  decideAttempt,
  EXTERNAL_PROCESS_INPUTS,
  type ExternalProcessInput,
  planFromInput,
  type ProcessPlan,
  STEP_TYPE,
} from "./_external_process_plan.ts";
import { validateExternalProcess } from "./_external_process_validate.ts";
import { type CaptureBuffer, SharedLogFile } from "./_output_capture.ts";
import { parseOutputsFile } from "./_outputs_file.ts";
import { join } from "node:path";
import { canExecute } from "./_process_group.ts";

const SIGNAL_NAME_REGEXP = /^SIG[A-Z0-9]+$/;

interface ResolvedPaths {
  cwd: string | undefined;
  logFile: string | null;
  marker: string | null;
  tempDir: string | null;
  finalDir: string | null;
  checks: ResolvedChecks;
}

async function _resolvePaths(plan: ProcessPlan, paths: StepPaths): Promise<ResolvedPaths> {
  const one = (raw: string | null) => raw === null ? Promise.resolve(null) : paths.resolve(raw);
  const many = (raws: string[]) => Promise.all(raws.map((raw) => paths.resolve(raw)));
  const usesFile = plan.log.stdout === "file" || plan.log.stderr === "file";
  const atomic = plan.idempotency.strategy === "atomic_dir";
  return {
    cwd: (await one(plan.cwd)) ?? undefined,
    logFile: usesFile ? await one(plan.log.filePath) : null,
    marker: plan.idempotency.strategy === "marker" ? await one(plan.idempotency.markerPath) : null,
    tempDir: atomic ? await one(plan.idempotency.tempOutputDir) : null,
    finalDir: atomic ? await one(plan.idempotency.finalOutputDir) : null,
    checks: {
      requireFiles: await many(plan.success.requireFiles),
      requireGlob: await Promise.all(plan.success.requireGlob.map(async (raw) => {
        const { dir, pattern } = splitGlob(raw);
        return { raw, dir: await paths.resolve(dir), pattern };
      })),
      forbidFiles: await many(plan.success.forbidFiles),
    },
  };
}

async function _exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** cwd must exist; a bad cwd or program is a spawn error, never retried. */
async function _checkSpawnable(
  plan: ProcessPlan,
  options: { cwd: string | undefined; env: Record<string, string> },
) {
  if (options.cwd !== undefined) {
    const info = await Deno.stat(options.cwd).catch(() => null);
    if (!info?.isDirectory) {
      throw new StepError(`external.process cwd is not an existing directory: ${plan.cwd}`);
    }
  }
  const program = plan.argv[0] ?? "";
  if (!canExecute(program, { path: options.env.PATH, cwd: options.cwd ?? Deno.cwd() })) {
    throw new StepError(
      `external.process cannot execute ${JSON.stringify(program)}: not found or not executable`,
    );
  }
}

/** The runner aborts with the received signal's name as reason; default SIGTERM. */
function _terminated(signal: AbortSignal): StepError {
  const reason = signal.reason;
  const name = typeof reason === "string" && SIGNAL_NAME_REGEXP.test(reason) ? reason : "SIGTERM";
  return new StepError(`terminated by ${name}`);
}

/** Captured text plus the explicit truncation report [D16]; a WARNING names the cap. */
function _captureOutputs(
  name: string,
  buffer: CaptureBuffer | null,
  ctx: StepContext,
  plan: ProcessPlan,
): JsonObject {
  if (buffer === null) return {};
  // A cut text is masked before it leaves the step: the runner's masker cannot recognise half a secret [D18].
  const out: JsonObject = { [name]: buffer.text(ctx.mask?.bind(ctx)) };
  if (buffer.truncated) {
    out[`${name}_truncated`] = true;
    out[`${name}_dropped_bytes`] = buffer.droppedBytes;
    const capKb = (plan.log.maxCaptureBytes ?? 0) / 1024;
    ctx.log.warn(
      `external_process ${name} truncated at log.max_capture_kb=${capKb} step_id=${ctx.stepId} dropped_bytes=${buffer.droppedBytes}`,
    );
  }
  return out;
}

async function _runAttempts(plan: ProcessPlan, ctx: StepContext, options: {
  cwd: string | undefined;
  env: Record<string, string>;
  logFile: SharedLogFile | null;
  outputsFile: string;
}): Promise<
  { attempts: number; exitCode: number; stdout: CaptureBuffer | null; stderr: CaptureBuffer | null }
> {
  for (let attempt = 1;; attempt++) {
    const delay = backoffDelay(plan.retry, attempt);
    if (delay > 0) await ctx.clock.sleep(delay * 1000, ctx.signal);
    if (ctx.signal.aborted) throw _terminated(ctx.signal);
    ctx.log.info(
      `external_process_start step_id=${ctx.stepId} attempt=${attempt} command=${JSON.stringify(plan.argv)}`,
    );
    // Empty for every attempt: only what the successful attempt wrote counts.
    await Deno.writeFile(options.outputsFile, new Uint8Array());
    const spawned: { pgid?: number } = {};
    const report = await runAttempt({
      plan,
      cwd: options.cwd,
      env: options.env,
      logFile: options.logFile,
      log: ctx.log,
      signal: ctx.signal,
      stepId: ctx.stepId,
      // docs/state.md "Process groups": durable in state before the step reports its child running.
      onSpawn: async (pgid) => {
        spawned.pgid = pgid;
        await ctx.processGroups?.started(pgid, { graceSeconds: plan.killGraceSeconds });
        ctx.log.info(`external_process_running step_id=${ctx.stepId} attempt=${attempt} pgid=${pgid}`);
      },
      secrets: ctx.byteSecrets ?? null,
    });
    // The leader is reaped (exit, timeout or abort: runAttempt waited for it).
    if (spawned.pgid !== undefined) await ctx.processGroups?.reaped(spawned.pgid);
    const { outcome } = report;
    if (outcome.kind === "aborted") throw _terminated(ctx.signal);
    if (outcome.kind === "timeout") {
      ctx.log.warn(
        `external_process_timeout step_id=${ctx.stepId} attempt=${attempt} timeout_seconds=${plan.timeoutText}`,
      );
    } else {
      const signalPart = outcome.kind === "signal" ? ` signal=${outcome.signal}` : "";
      const code = outcome.kind === "exit" ? outcome.code : null;
      ctx.log.info(
        `external_process_exit step_id=${ctx.stepId} attempt=${attempt} exit_code=${code}${signalPart}`,
      );
    }
    const stderr = report.stderr?.text() ?? null;
    const decision = decideAttempt(outcome, { plan, attempt, stderr });
    if (decision.action === "fail") throw new StepError(decision.message);
    if (decision.action === "success" && outcome.kind === "exit") {
      return { attempts: attempt, exitCode: outcome.code, stdout: report.stdout, stderr: report.stderr };
    }
    ctx.log.info(`external_process_retry step_id=${ctx.stepId} next_attempt=${attempt + 1}`);
  }
}

async function runExternalProcess(input: ExternalProcessInput, ctx: StepContext): Promise<StepResult> {
  const plan = planFromInput(input);
  const paths = await _resolvePaths(plan, ctx.paths);
  if (
    paths.marker !== null && await _exists(paths.marker) && (await firstFailedCheck(paths.checks)) === null
  ) {
    const reason = "marker_present";
    return { status: "SKIPPED", outputs: { skipped: true, marker: paths.marker, reason }, reason };
  }
  // Secret-named entries of the step's own `env` are secrets like the snapshot's (docs/secrets.md "Masking"), so
  // the child printing one is masked too.
  for (const [key, value] of Object.entries(plan.env)) {
    if (isSecretKey(key) && isMaskableSecret(value)) ctx.addSecret(value);
  }
  const outputsFile = _outputsFilePath(ctx);
  const env = buildChildEnv(plan, {
    snapshot: ctx.env,
    flowId: ctx.flowId,
    runId: ctx.runId,
    outputDir: paths.tempDir ?? ctx.artifactsDir,
    outputsFile,
  });
  await _checkSpawnable(plan, { cwd: paths.cwd, env });
  if (ctx.signal.aborted) throw _terminated(ctx.signal);
  if (paths.tempDir !== null) await resetTempDir(paths.tempDir);
  const logFile = paths.logFile === null ? null : await SharedLogFile.open(paths.logFile);
  try {
    const run = await _runAttempts(plan, ctx, { cwd: paths.cwd, env, logFile, outputsFile });
    const written = parseOutputsFile(await Deno.readTextFile(outputsFile).catch(() => ""));
    if (paths.tempDir !== null && paths.finalDir !== null) {
      await finalizeAtomicDir(paths.tempDir, {
        finalDir: paths.finalDir,
        atomicRename: plan.idempotency.atomicRename,
      });
    }
    const failed = await firstFailedCheck(paths.checks);
    if (failed !== null) throw new StepError(`external.process outputs invalid: ${failed}`);
    ctx.log.info(
      `external_process_success step_id=${ctx.stepId} attempts=${run.attempts} exit_code=${run.exitCode}`,
    );
    const outputs: JsonObject = {
      exit_code: run.exitCode,
      attempts: run.attempts,
      ..._captureOutputs("stdout", run.stdout, ctx, plan),
      ..._captureOutputs("stderr", run.stderr, ctx, plan),
      ...(logFile === null ? {} : { log_file: logFile.path }),
      outputs: written,
      // User `outputs` are merged last and may overwrite exit_code [verified upstream].
      ...plan.outputs,
    };
    return { status: "SUCCESS", outputs };
  } finally {
    await logFile?.close();
    await Deno.remove(outputsFile).catch(() => {});
  }
}

/** Per step, in the job's scratch dir (created by the runner); the name is the step id, made file-safe. */
function _outputsFilePath(ctx: StepContext): string {
  return join(ctx.scratchDir, `aetherflow-outputs.${encodeURIComponent(ctx.stepId)}`);
}

/** The `external.process` step definition (registered in `builtins.ts`). */
export const externalProcess = defineStep({
  type: STEP_TYPE,
  origin: "builtin",
  inputs: EXTERNAL_PROCESS_INPUTS,
  validate: validateExternalProcess,
  run: runExternalProcess,
});
