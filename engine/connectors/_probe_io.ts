// The network touch point of the connection probes (STYLE: Deno.* in small private files).

/**
 * Open a TCP connection to `host:port` and close it at once. Rejects with the OS error (refused, no route, DNS
 * failure). A connection that completes after the caller gave up is closed as soon as it does.
 */
export async function tcpConnect(host: string, port: number, signal: AbortSignal): Promise<void> {
  const pending = Deno.connect({ hostname: host, port, transport: "tcp" });
  const onAbort = new Promise<never>((_, fail) => {
    if (signal.aborted) fail(signal.reason);
    signal.addEventListener("abort", () => fail(signal.reason), { once: true });
  });
  try {
    const conn = await Promise.race([pending, onAbort]);
    conn.close();
  } catch (err) {
    pending.then((c) => c.close(), () => {});
    throw err;
  }
}
