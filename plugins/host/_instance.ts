// One Extism plugin instance with the limits the host enforces on every call: a call queue (Extism plugins
// are not reentrant), a wall-clock timeout (also covering the instance's start) that terminates the worker and
// recreates it on the next call, an output cap on output and error text, and fresh host-function objects per
// instance (D11).
import createPlugin, { type CallContext, type ExtismPluginOptions, type Plugin } from "@extism/extism";
import { errorMessage, PluginError } from "../../engine/errors.ts";
import { HOST_NAMESPACE } from "../abi/mod.ts";
import type { CallScope, PluginLogLevel } from "./call_scope.ts";
import { extismAllowedHosts, grantedFetch } from "./_http.ts";

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
}

const _PLUGIN_ERROR_PREFIX = "Plugin-originated error: ";
// Errors raised after a call returned normally: the instance is fine. Any error raised inside a host function
// (an HTTP refusal, a cap) has already made Extism terminate the worker.
const _instanceIntact = new WeakSet<PluginError>();

export class PluginInstance {
  readonly #opts: InstanceOptions;
  #plugin: Promise<Plugin> | null = null;
  /** Whether `#plugin` has finished starting. */
  #ready = false;
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
      this.#scope = scope;
      try {
        return await this.#callNow(fn, input, scope.signal);
      } finally {
        this.#scope = this.#opts.idleScope;
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#discard();
  }

  async #callNow(fn: string, input: string, signal?: AbortSignal): Promise<string> {
    if (this.#closed) throw new PluginError(`Plugin ${this.#opts.label()} is closed`);
    signal?.throwIfAborted();
    const { timeoutMs } = this.#opts;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // The limit covers starting the instance too: a start function or `_initialize` runs while it starts.
    const limit = new Promise<never>((_, reject) => {
      if (!this.#opts.worker) return; // a foreground call blocks the event loop: no timer could fire
      timer = setTimeout(() => {
        reject(
          new PluginError(
            `Plugin ${this.#opts.label()} exceeded its timeout of ${timeoutMs} ms in ${fn} (timeout_ms)`,
            { code: "plugin:timeout" },
          ),
        );
      }, timeoutMs);
      onAbort = () => reject(new PluginError(`Plugin ${this.#opts.label()} call ${fn} aborted`));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const plugin = await Promise.race([this.#started(), limit]);
      const call = plugin.call(fn, input);
      // A terminated worker may reject later; that rejection is already accounted for.
      call.catch(() => {});
      const out = await Promise.race([call, limit]);
      const size = out ? (out as unknown as DataView).byteLength : 0;
      if (size > this.#opts.maxOutputBytes) {
        const err = new PluginError(
          `Plugin ${this.#opts.label()} output of ${size} bytes from ${fn} exceeds its output cap of ${this.#opts.maxOutputBytes} bytes (max_output_bytes)`,
          { code: "plugin:output_cap" },
        );
        _instanceIntact.add(err);
        throw err;
      }
      return out ? out.text() : "";
    } catch (err) {
      throw await this.#normalise(err, fn);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    }
  }

  // error_set keeps the instance; anything else (trap, timeout, host refusal) may leave the module in an
  // unknown state, so the worker is terminated and a fresh one is made on the next call.
  async #normalise(err: unknown, fn: string): Promise<PluginError> {
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
    await this.#discard();
    if (err instanceof PluginError) return err;
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

  #started(): Promise<Plugin> {
    if (!this.#plugin) {
      const starting = this.#create();
      this.#plugin = starting;
      this.#ready = false;
      starting.then(() => {
        if (this.#plugin === starting) this.#ready = true;
      }, () => {});
    }
    return this.#plugin.catch((err) => {
      this.#plugin = null;
      throw new PluginError(`Plugin ${this.#opts.label()} could not start: ${errorMessage(err)}`, {
        cause: err,
      });
    });
  }

  async #discard(): Promise<void> {
    const p = this.#plugin;
    const ready = this.#ready;
    this.#plugin = null;
    this.#ready = false;
    if (!p) return;
    // A rejection means the worker is already gone (terminated or never started): nothing left to release.
    const closed = p.then((plugin) => plugin.close()).catch(() => {});
    // An instance stuck while starting gives no handle to terminate its worker: it is closed if it ever starts
    // (at the latest the process exit ends it), and nobody waits for it.
    if (ready) await closed;
  }

  #create(): Promise<Plugin> {
    const o = this.#opts;
    if (o.useWasi) _silenceNodeWarnings();
    const log = (level: PluginLogLevel) => (m: unknown) => this.#scope.log(level, String(m));
    const logger = { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
    return createPlugin({ wasm: [{ module: o.module }] }, {
      runInWorker: o.worker,
      useWasi: o.useWasi,
      allowedPaths: { ...o.allowedPaths },
      allowedHosts: extismAllowedHosts(o.allowedHosts),
      // Fresh object per instance: worker-mode createPlugin mutates it.
      functions: { [HOST_NAMESPACE]: o.hostFunctions(() => this.#scope) },
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
