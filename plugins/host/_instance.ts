// One Extism plugin instance with the limits the host enforces on every call (docs/plugin-security.md): a call
// queue (Extism plugins are not reentrant); a wall-clock timeout that counts the guest's own time — its start-up
// code (moved out of instantiation by _wasm_rewrite.ts, so it runs on an instance the host can terminate) and
// the call — not the host's compile or worker start-up, and on expiry terminates the worker; an output cap on
// output and error text; the Extism blocks a call allocated released before the next call; fresh host-function
// objects per instance (D11).
import createPlugin, { type CallContext, type ExtismPluginOptions, type Plugin } from "@extism/extism";
import { errorMessage, PluginError } from "../../engine/errors.ts";
import { HOST_NAMESPACE } from "../abi/mod.ts";
import type { CallScope, PluginLogLevel } from "./call_scope.ts";
import { extismAllowedHosts, grantedFetch } from "./_http.ts";
import type { PluginLogGate } from "./_log_gate.ts";
import { INTERRUPT_IMPORT } from "./_wasm_rewrite.ts";

export type HostFunction = (ctx: CallContext, offset: bigint) => bigint | Promise<bigint>;

export interface InstanceOptions {
  module: WebAssembly.Module;
  /** `name@version` (or the path before describe) for messages. */
  label: () => string;
  /** Worker mode is the sandbox; foreground is trusted-only (no timeout, no HTTP, no async host functions). */
  worker: boolean;
  useWasi: boolean;
  /** Canonical host patterns of the effective grant (enforced per request by grantedFetch). */
  allowedHosts: readonly string[];
  /** WASI guest path -> host path. */
  allowedPaths: Readonly<Record<string, string>>;
  timeoutMs: number;
  maxOutputBytes: number;
  memoryMb: number;
  /** Builds a fresh `extism:host/user` function table (never shared); `scope` is the call in progress. */
  hostFunctions: (scope: () => CallScope) => Record<string, HostFunction>;
  /** Scope used outside any call (Extism may log while starting). */
  idleScope: CallScope;
  /** Exports holding the module's start-up code, run in order before a fresh instance's first call. */
  initExports: readonly string[];
  /** Every line the plugin logs passes here (shared by the plugin's instances: its caps are per run). */
  logGate: PluginLogGate;
}

/** Worker start-up is host work, not counted in timeout_ms; this bounds it on its own. */
export const STARTUP_LIMIT_MS = 60_000;
// How long an abandoned call may take to reach its next interrupt check before its worker is terminated anyway.
const _INTERRUPT_GRACE_MS = 10_000;

const _PLUGIN_ERROR_PREFIX = "Plugin-originated error: ";
// Errors raised after a call returned normally: the instance is fine. Any error raised inside a host function
// (an HTTP refusal, a cap) has already made Extism terminate the worker.
const _instanceIntact = new WeakSet<PluginError>();
// What the kernel's `alloc` throws in the worker when a plugin asks for more than its budget
// (_wasm_rewrite.ts asks for -1 bytes then) or for more than the worker can allocate.
const _HOST_ALLOCATION_REGEXP = /Invalid array buffer length|Array buffer allocation failed/;

export class PluginInstance {
  readonly #opts: InstanceOptions;
  #plugin: Promise<Plugin> | null = null;
  /** Whether `#plugin` has finished starting. */
  #ready = false;
  /** Shared with `#plugin`'s interrupt check (_wasm_rewrite.ts): set once the host abandons that worker. */
  #life: { abandoned: boolean } | null = null;
  /** Whether the start-up code has run on `#plugin`. */
  #initialized = false;
  /** A failure of the start-up code: it would fail the same way again, so the instance is never restarted. */
  #startFailure: PluginError | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #scope: CallScope;

  constructor(options: InstanceOptions) {
    this.#opts = options;
    this.#scope = options.idleScope;
  }

  /** Queue a call of export `fn` with UTF-8 `input`; resolves with the output text. */
  call(fn: string, input: string, scope: CallScope): Promise<string> {
    const run = this.#queue.then(async () => {
      this.#opts.logGate.beginCall();
      this.#scope = scope;
      try {
        return await this.#callNow(fn, input, scope.signal);
      } finally {
        this.#scope = this.#opts.idleScope;
      }
    });
    // The Extism blocks of a call (its allocations, its output) are released before the next call, so host
    // memory stays bounded by one call's budget (memory_mb) however many calls an instance serves.
    this.#queue = run.catch(() => {}).then(() => this.#releaseBlocks());
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard();
  }

  async #callNow(fn: string, input: string, signal?: AbortSignal): Promise<string> {
    const o = this.#opts;
    if (this.#closed) throw new PluginError(`Plugin ${o.label()} is closed`);
    if (this.#startFailure) throw this.#startFailure;
    signal?.throwIfAborted();
    const plugin = await this.#started(signal);
    // From here on the guest runs: its start-up code (first call of a fresh instance), then the call.
    let phase = fn;
    let running: Promise<unknown> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const limit = new Promise<never>((_, reject) => {
      if (!o.worker) return; // a foreground call blocks the event loop: no timer could fire
      timer = setTimeout(() => {
        const where = phase === fn ? fn : `its start-up code (${phase}) before ${fn}`;
        reject(
          new PluginError(
            `Plugin ${o.label()} exceeded its timeout of ${o.timeoutMs} ms in ${where} (timeout_ms)`,
            {
              code: "plugin:timeout",
            },
          ),
        );
      }, o.timeoutMs);
      onAbort = () => reject(new PluginError(`Plugin ${o.label()} call ${fn} aborted`));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      if (!this.#initialized) {
        for (const name of o.initExports) {
          phase = name;
          const init = plugin.call(name, "");
          init.catch(() => {});
          running = init;
          await Promise.race([init, limit]);
        }
        this.#initialized = true;
        phase = fn;
      }
      const call = plugin.call(fn, input);
      // A terminated worker may reject later; that rejection is already accounted for.
      call.catch(() => {});
      running = call;
      const out = await Promise.race([call, limit]);
      const size = out ? (out as unknown as DataView).byteLength : 0;
      if (size > o.maxOutputBytes) {
        const err = new PluginError(
          `Plugin ${o.label()} output of ${size} bytes from ${fn} exceeds its output cap of ${o.maxOutputBytes} bytes (max_output_bytes)`,
          { code: "plugin:output_cap" },
        );
        _instanceIntact.add(err);
        throw err;
      }
      return out ? out.text() : "";
    } catch (err) {
      const e = await this.#normalise(err, phase, running);
      if (phase !== fn) this.#startFailure = e;
      throw e;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  async #releaseBlocks(): Promise<void> {
    if (!this.#plugin || !this.#ready) return;
    const plugin = await this.#plugin.catch(() => null);
    // A worker terminated meanwhile has nothing left to release.
    await plugin?.reset().catch(() => {});
  }

  // error_set keeps the instance; anything else (trap, timeout, host refusal) may leave the module in an
  // unknown state, so the worker is terminated and a fresh one is made on the next call.
  async #normalise(err: unknown, fn: string, running?: Promise<unknown>): Promise<PluginError> {
    const msg = errorMessage(err);
    if (err instanceof PluginError && _instanceIntact.has(err)) return err;
    if (msg.startsWith(_PLUGIN_ERROR_PREFIX)) {
      const text = msg.slice(_PLUGIN_ERROR_PREFIX.length);
      const size = new TextEncoder().encode(text).byteLength;
      if (size > this.#opts.maxOutputBytes) {
        // The error text reaches logs and state like output does: the same cap applies.
        return new PluginError(
          `Plugin ${this.#opts.label()} error message of ${size} bytes from ${fn} exceeds its output cap of ${this.#opts.maxOutputBytes} bytes (max_output_bytes)`,
          { code: "plugin:output_cap" },
        );
      }
      return new PluginError(`Plugin ${this.#opts.label()} failed: ${text}`, { code: "plugin:error" });
    }
    await this.#discard(running);
    if (err instanceof PluginError) return err;
    if (_HOST_ALLOCATION_REGEXP.test(msg)) {
      return new PluginError(
        `Plugin ${this.#opts.label()} allocated more host memory than its memory cap of ${this.#opts.memoryMb} MiB in ${fn} (memory_mb)`,
        { code: "plugin:memory", cause: err },
      );
    }
    if (msg.includes("no allowedHosts match")) {
      return new PluginError(`Plugin ${this.#opts.label()} was refused: ${msg} (grants.hosts)`, {
        code: "plugin:http_denied",
        cause: err,
      });
    }
    return new PluginError(
      `Plugin ${this.#opts.label()} trapped in ${fn}: ${msg} (memory cap ${this.#opts.memoryMb} MiB, memory_mb)`,
      { code: "plugin:trap", cause: err },
    );
  }

  // Start (or reuse) the worker. Host work: bounded by STARTUP_LIMIT_MS and the call's signal, not timeout_ms.
  async #started(signal?: AbortSignal): Promise<Plugin> {
    if (!this.#plugin) {
      const life = { abandoned: false };
      this.#life = life;
      const starting = this.#create(life);
      this.#plugin = starting;
      this.#ready = false;
      this.#initialized = false;
      starting.then(() => {
        if (this.#plugin === starting) this.#ready = true;
      }, () => {});
    }
    const current = this.#plugin;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`its worker did not start within ${STARTUP_LIMIT_MS} ms`)),
        STARTUP_LIMIT_MS,
      );
      onAbort = () => reject(new Error("aborted while its worker started"));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([current, deadline]);
    } catch (err) {
      if (this.#plugin === current) await this.#discard();
      throw new PluginError(`Plugin ${this.#opts.label()} could not start: ${errorMessage(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  // Stop using the current worker. A call still running in it (its timeout fired) is told so at its next
  // interrupt check and traps; the worker is terminated once that call has returned — terminating a busy
  // worker would not stop its thread (_wasm_rewrite.ts).
  async #discard(running?: Promise<unknown>): Promise<void> {
    const p = this.#plugin;
    const ready = this.#ready;
    if (this.#life) this.#life.abandoned = true;
    this.#plugin = null;
    this.#ready = false;
    this.#life = null;
    if (!p) return;
    // A rejection means the worker is already gone (terminated or never started): nothing left to release.
    const close = () => p.then((plugin) => plugin.close()).catch(() => {});
    if (running) {
      const grace = setTimeout(close, _INTERRUPT_GRACE_MS);
      Deno.unrefTimer(grace);
      running.catch(() => {}).finally(() => {
        clearTimeout(grace);
        void close();
      });
      return;
    }
    // A worker still starting runs no guest code (its start-up code runs later, under the timeout); it is
    // closed as soon as it has started, and nobody waits for it.
    if (ready) await close();
  }

  // Lines from the plugin (af_log, Extism's log_* kernel functions) through the gate to the current scope.
  readonly #log = (level: PluginLogLevel, message: string): void => {
    this.#opts.logGate.admit(level, message, this.#scope.log);
  };

  #create(life: { abandoned: boolean }): Promise<Plugin> {
    const o = this.#opts;
    if (o.useWasi) _silenceNodeWarnings();
    const log = (level: PluginLogLevel) => (m: unknown) => this.#log(level, String(m));
    const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
    return createPlugin({ wasm: [{ module: o.module }] }, {
      runInWorker: o.worker,
      useWasi: o.useWasi,
      allowedPaths: { ...o.allowedPaths },
      allowedHosts: extismAllowedHosts(o.allowedHosts),
      // Fresh object per instance: worker-mode createPlugin mutates it.
      functions: {
        [HOST_NAMESPACE]: {
          ...o.hostFunctions(() => ({ ...this.#scope, log: this.#log })),
          [INTERRUPT_IMPORT]: () => (life.abandoned ? 1n : 0n),
        },
      },
      enableWasiOutput: false,
      logger: logger as unknown as NonNullable<ExtismPluginOptions["logger"]>,
      fetch: grantedFetch({ hosts: o.allowedHosts, maxBodyBytes: o.maxOutputBytes, label: o.label }),
    });
  }
}

// Node's WASI prints "ExperimentalWarning: WASI is an experimental feature" on stderr once per worker, which
// breaks JSON-only logs (docs/observability.md). Deno's node layer reads `--no-warnings` from NODE_OPTIONS lazily, also in
// workers created later. Steps never see it: external.process children get the snapshot env (clearEnv).
function _silenceNodeWarnings(): void {
  const current = Deno.env.get("NODE_OPTIONS") ?? "";
  if (!/(^|\s)--no-warnings(\s|$)/.test(current)) {
    Deno.env.set("NODE_OPTIONS", `${current} --no-warnings`.trim());
  }
}
