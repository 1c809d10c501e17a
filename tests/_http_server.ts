// An in-process HTTP(S) server on 127.0.0.1:<port 0> for connector tests, recording every request.
export interface RecordedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
}

export interface TestHttpServer extends AsyncDisposable {
  port: number;
  /** `http://127.0.0.1:<port>` or, with TLS, `https://localhost:<port>` (the test cert's DNS SAN). */
  origin: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** PEM cert and key (see tests/_tls_certs.ts) to serve HTTPS. */
  tls?: { cert: string; key: string };
}

/** Serve `handler` until disposed; the request body is read and recorded before the handler sees a copy. */
export function startHttpServer(
  handler: (req: Request) => Response | Promise<Response>,
  options: HttpServerOptions = {},
): TestHttpServer {
  const requests: RecordedRequest[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    ...(options.tls ?? {}),
  }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    return await handler(
      new Request(req.url, {
        method: req.method,
        headers: req.headers,
        body: body.length ? body : undefined,
      }),
    );
  });
  const port = server.addr.port;
  const close = () => server.shutdown();
  return {
    port,
    origin: options.tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}
