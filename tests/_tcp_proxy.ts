// A loopback TCP relay in front of a real server, to simulate the server going away mid-transfer: `cut()` (or the
// `cutAfterBytes` trigger) closes the listener and destroys every relayed connection at once, as a server
// that stops or a network that drops would. `stallAfterBytes` instead stops relaying (connections stay open,
// the transfer hangs) so a test can kill the client at a known point mid-transfer.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Bytes relayed client -> server and server -> client so far. */
  bytes(): { up: number; down: number };
  /** Resolves when the relay has been cut (by `cut()` or the trigger). */
  cutDone: Promise<void>;
  /** Resolves when the `stallAfterBytes` trigger stopped the relay. */
  stalled: Promise<void>;
  cut(): void;
}

export async function startTcpProxy(
  target: { host: string; port: number },
  options: {
    cutAfterBytes?: { up?: number; down?: number };
    stallAfterBytes?: { up?: number; down?: number };
  } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let up = 0;
  let down = 0;
  let cut = false;
  let resolveCut!: () => void;
  const cutDone = new Promise<void>((r) => resolveCut = r);
  let stall = false;
  let resolveStall!: () => void;
  const stalled = new Promise<void>((r) => resolveStall = r);
  const server: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const reached = (t?: { up?: number; down?: number }) =>
      t !== undefined && ((t.up !== undefined && up >= t.up) || (t.down !== undefined && down >= t.down));
    const check = () => {
      if (reached(options.cutAfterBytes)) doCut();
      if (!stall && reached(options.stallAfterBytes)) {
        stall = true;
        resolveStall();
      }
    };
    client.on("data", (d: Uint8Array) => {
      if (stall) return;
      up += d.length;
      upstream.write(d);
      check();
    });
    upstream.on("data", (d: Uint8Array) => {
      if (stall) return;
      down += d.length;
      client.write(d);
      check();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  function doCut(): void {
    if (cut) return;
    cut = true;
    server.close();
    for (const s of sockets) s.destroy();
    sockets.clear();
    resolveCut();
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    bytes: () => ({ up, down }),
    cutDone,
    stalled,
    cut: doCut,
    [Symbol.asyncDispose]: () => {
      doCut();
      return Promise.resolve();
    },
  };
}
