// Test helpers for built-in connector drivers: a live instance from a definition and a config (parsed as the
// accessor does), with a fake clock, a recorded log and recorded secrets; and a TCP proxy that drops chosen
// connections part-way, to play a server that dies mid-transfer.
import { parseResourceConfig } from "../engine/connectors/config.ts";
import type { AnyConnectorDefinition, Connector } from "../engine/connectors/types.ts";
import type { Clock } from "../engine/clock.ts";

/** A clock whose sleeps return at once; `slept` records each wait in ms. */
export function instantClock(): Clock & { slept: number[] } {
  let now = 1_700_000_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    monotonic: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

export interface OpenedConnector<C> {
  connector: C;
  clock: Clock & { slept: number[] };
  /** `level message` lines the driver logged. */
  logs: string[];
  secrets: string[];
}

/** Create `def` for a resource named `r` with `config`/`options`. */
export async function openConnector<C extends Connector>(
  def: AnyConnectorDefinition,
  config: Record<string, unknown>,
  options: Record<string, unknown> = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<OpenedConnector<C> & AsyncDisposable> {
  const parsed = parseResourceConfig(def, { name: "r", config, options });
  const clock = instantClock();
  const logs: string[] = [];
  const secrets: string[] = [];
  const log = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  const connector = await def.create(
    { name: "r", kind: def.kind, driver: def.driver, decode: {}, ...parsed } as never,
    {
      signal,
      clock,
      log: { debug: log("DEBUG"), info: log("INFO"), warn: log("WARNING"), error: log("ERROR") },
      addSecret: (v) => secrets.push(v),
    },
  ) as C;
  return {
    connector,
    clock,
    logs,
    secrets,
    async [Symbol.asyncDispose]() {
      await connector.close?.();
    },
  };
}

export interface FlakyProxy extends AsyncDisposable {
  port: number;
  /** Connections accepted so far. */
  connections: number;
}

/**
 * A TCP proxy on 127.0.0.1:<port 0> to `target`. The first `drop` connections are cut (both sides closed) once
 * the client has sent `afterClientBytes` bytes, or the server has sent `afterServerBytes`; later ones pass.
 */
export function startFlakyProxy(
  target: { host: string; port: number },
  options: { drop: number; afterClientBytes?: number; afterServerBytes?: number },
): FlakyProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const state = { connections: 0 };
  const pump = async (from: Deno.Conn, to: Deno.Conn, limit: number | undefined, cut: () => void) => {
    const buf = new Uint8Array(16 * 1024);
    let sent = 0;
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) break;
        let chunk = buf.subarray(0, n);
        if (limit !== undefined && sent + n >= limit) chunk = chunk.subarray(0, Math.max(0, limit - sent));
        for (let off = 0; off < chunk.length;) off += await to.write(chunk.subarray(off));
        sent += chunk.length;
        if (limit !== undefined && sent >= limit) return cut();
      }
    } catch {
      // the other side is gone
    }
    cut();
  };
  (async () => {
    for await (const client of listener) {
      const index = state.connections++;
      const dropping = index < options.drop;
      let upstream: Deno.Conn;
      try {
        upstream = await Deno.connect({ hostname: target.host, port: target.port });
      } catch {
        client.close();
        continue;
      }
      open.add(client).add(upstream);
      let closed = false;
      const cut = () => {
        if (closed) return;
        closed = true;
        for (const c of [client, upstream]) {
          open.delete(c);
          try {
            c.close();
          } catch { /* already closed */ }
        }
      };
      pump(client, upstream, dropping ? options.afterClientBytes : undefined, cut);
      pump(upstream, client, dropping ? options.afterServerBytes : undefined, cut);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get connections() {
      return state.connections;
    },
    [Symbol.asyncDispose]() {
      listener.close();
      for (const c of open) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
      return Promise.resolve();
    },
  };
}
