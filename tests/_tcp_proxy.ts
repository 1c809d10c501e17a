// A loopback TCP relay in front of a real server, to simulate the server going away mid-transfer: `cut()` (or the
// `cutAfterBytes` trigger) closes the listener and destroys every relayed connection at once, as a server
// that stops or a network that drops would.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy extends AsyncDisposable {
  port: number;
  /** Bytes relayed client -> server and server -> client so far. */
  bytes(): { up: number; down: number };
  /** Resolves when the relay has been cut (by `cut()` or the trigger). */
  cutDone: Promise<void>;
  cut(): void;
}

export async function startTcpProxy(
  target: { host: string; port: number },
  options: { cutAfterBytes?: { up?: number; down?: number } } = {},
): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let up = 0;
  let down = 0;
  let cut = false;
  let resolveCut!: () => void;
  const cutDone = new Promise<void>((r) => resolveCut = r);
  const server: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(target.port, target.host);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const check = () => {
      const t = options.cutAfterBytes;
      if (t && ((t.up !== undefined && up >= t.up) || (t.down !== undefined && down >= t.down))) doCut();
    };
    client.on("data", (d: Uint8Array) => {
      up += d.length;
      upstream.write(d);
      check();
    });
    upstream.on("data", (d: Uint8Array) => {
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
    cut: doCut,
    [Symbol.asyncDispose]: () => {
      doCut();
      return Promise.resolve();
    },
  };
}
