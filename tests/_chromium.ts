// Real headless Chromium (Debian's package) driven over the DevTools protocol: load a page, collect console
// errors, exceptions and network requests, read the DOM, take a screenshot. Tests skip with a reason when no
// chromium binary is installed.

const _CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The chromium binary, or null. */
export function findChromium(): string | null {
  for (const path of _CANDIDATES) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // next
    }
  }
  return null;
}

export interface PageReport {
  /** Console errors, uncaught exceptions and log errors, as text. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Result of `evaluate` (JSON). */
  value: unknown;
  /** PNG bytes of the viewport. */
  screenshot: Uint8Array;
}

interface _Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/**
 * Load `url` in a fresh headless Chromium, run `expression` (returning JSON) and screenshot it. Flags as known
 * to work on this machine kind (no sandbox as root, no background networking).
 */
export async function inspectPage(
  chromium: string,
  url: string,
  expression: string,
  options: { width?: number; height?: number; timeoutMs?: number } = {},
): Promise<PageReport> {
  const profile = await Deno.makeTempDir({ prefix: "af-chromium-" });
  const child = new Deno.Command(chromium, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let ws: WebSocket | undefined;
  try {
    const endpoint = await _devtoolsEndpoint(child.stderr, deadline);
    ws = new WebSocket(endpoint);
    await new Promise<void>((ok, fail) => {
      ws!.onopen = () => ok();
      ws!.onerror = () => fail(new Error("cannot connect to chromium's DevTools endpoint"));
    });
    return await _drive(ws, url, expression, options, deadline);
  } finally {
    try {
      ws?.close();
    } catch { /* closing */ }
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function _devtoolsEndpoint(stderr: ReadableStream<Uint8Array>, deadline: number): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (Date.now() < deadline) {
    const timer = new Promise<{ done: true; value: undefined }>((r) =>
      setTimeout(() => r({ done: true, value: undefined }), Math.max(1, deadline - Date.now()))
    );
    const { done, value } = await Promise.race([reader.read(), timer]);
    if (done) break;
    text += value;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(text);
    if (m) {
      // Keep draining stderr so chromium never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* drain */ }
        } catch { /* closed */ }
      })();
      return m[1]!;
    }
  }
  reader.releaseLock();
  throw new Error(`chromium did not print its DevTools endpoint; stderr:\n${text.slice(-2000)}`);
}

async function _drive(
  ws: WebSocket,
  url: string,
  expression: string,
  options: { width?: number; height?: number },
  deadline: number,
): Promise<PageReport> {
  let nextId = 1;
  const pending = new Map<number, _Pending>();
  const errors: string[] = [];
  const requests: string[] = [];
  let loaded: () => void = () => {};
  const loadedP = new Promise<void>((r) => (loaded = r));
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data));
    if (typeof msg.id === "number") {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(JSON.stringify(msg.error)));
      else p?.resolve(msg.result ?? {});
      return;
    }
    const params = msg.params ?? {};
    if (msg.method === "Runtime.exceptionThrown") {
      errors.push(`exception: ${JSON.stringify(params.exceptionDetails)}`);
    }
    if (msg.method === "Runtime.consoleAPICalled" && (params.type === "error" || params.type === "assert")) {
      errors.push(`console.${params.type}: ${JSON.stringify(params.args)}`);
    }
    if (msg.method === "Log.entryAdded" && params.entry?.level === "error") {
      errors.push(`log: ${params.entry.text} ${params.entry.url ?? ""}`);
    }
    if (msg.method === "Network.requestWillBeSent") requests.push(String(params.request?.url));
    if (msg.method === "Page.loadEventFired") loaded();
  };
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) => {
    const id = nextId++;
    const left = Math.max(1, deadline - Date.now());
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      setTimeout(() => {
        if (pending.delete(id)) reject(new Error(`DevTools ${method} timed out`));
      }, left);
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  };
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as {
    sessionId: string;
  };
  for (const domain of ["Page", "Runtime", "Log", "Network"]) await send(`${domain}.enable`, {}, sessionId);
  await send("Emulation.setDeviceMetricsOverride", {
    width: options.width ?? 1200,
    height: options.height ?? 800,
    deviceScaleFactor: 1,
    mobile: false,
  }, sessionId);
  await send("Page.navigate", { url }, sessionId);
  await Promise.race([
    loadedP,
    new Promise((_, fail) =>
      setTimeout(() => fail(new Error("page load timed out")), Math.max(1, deadline - Date.now()))
    ),
  ]);
  const evaluated = await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId) as {
    result: { value: unknown };
  };
  const shot = await send("Page.captureScreenshot", { format: "png" }, sessionId) as { data: string };
  return {
    errors,
    requests,
    value: evaluated.result.value,
    screenshot: Uint8Array.from(atob(shot.data), (c) => c.charCodeAt(0)),
  };
}

/** Decode an 8-bit RGB/RGBA PNG (what Chromium writes) into RGBA pixels. */
export async function decodePng(
  png: Uint8Array,
): Promise<{ width: number; height: number; rgba: Uint8Array }> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  let width = 0, height = 0, colorType = 0;
  const idat: Uint8Array[] = [];
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = new TextDecoder().decode(png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      if (data[8] !== 8) throw new Error(`unsupported PNG bit depth ${data[8]}`);
      colorType = data[9]!;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  const channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  if (channels === 0) throw new Error(`unsupported PNG color type ${colorType}`);
  const zipped = new Blob(idat as BlobPart[]).stream().pipeThrough(new DecompressionStream("deflate"));
  const raw = new Uint8Array(await new Response(zipped).arrayBuffer());
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  const prev = new Uint8Array(stride);
  const cur = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? cur[x - channels]! : 0;
      const b = prev[x]!;
      const c = x >= channels ? prev[x - channels]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[x] = v & 0xff;
    }
    for (let x = 0; x < width; x++) {
      out.set([
        cur[x * channels]!,
        cur[x * channels + 1]!,
        cur[x * channels + 2]!,
        channels === 4 ? cur[x * 4 + 3]! : 255,
      ], (y * width + x) * 4);
    }
    prev.set(cur);
  }
  return { width, height, rgba: out };
}

/** How many pixels are within `tolerance` of `#rrggbb`. */
export function countColor(img: { rgba: Uint8Array }, hex: string, tolerance = 6): number {
  const r = parseInt(hex.slice(1, 3), 16),
    g = parseInt(hex.slice(3, 5), 16),
    b = parseInt(hex.slice(5, 7), 16);
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    if (
      Math.abs(img.rgba[i]! - r) <= tolerance && Math.abs(img.rgba[i + 1]! - g) <= tolerance &&
      Math.abs(img.rgba[i + 2]! - b) <= tolerance
    ) n++;
  }
  return n;
}
