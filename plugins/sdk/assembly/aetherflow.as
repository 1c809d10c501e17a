// aetherflow plugin SDK for AssemblyScript (ABI v1, docs/plugin-abi.md). Needs only AssemblyScript: the Extism
// host functions are declared in ./extism.
// Build with `--use abort=<path to this file>/aetherflowAbort` so the module never imports `env.abort`.
import { fromHost, http_request, http_status_code, inputBytes, setError, setOutput, toHost, utf8 } from "./extism";
import { JKind, JValue, parseJson, quote } from "./json";

export { JKind, JValue, parseJson, quote };

/** The ABI major this SDK speaks. */
export const ABI_MAJOR = 1;

@external("extism:host/user", "af_log")
declare function _af_log(offset: u64): u64;

@external("extism:host/user", "af_connector_call")
declare function _af_connector_call(offset: u64): u64;

/** The call input as text (UTF-8). */
export function inputText(): string {
  return String.UTF8.decode(inputBytes().buffer);
}

/** The call input parsed as JSON. */
export function inputJson(): JValue {
  return parseJson(inputText());
}

/** Set the call output (UTF-8). */
export function output(text: string): void {
  setOutput(utf8(text));
}

/** Report a failure (the step or connector fails with `message`); return its value from the export. */
export function fail(message: string): i32 {
  setError(message);
  return 1;
}

function _callHost(fn: (offset: u64) => u64, json: string): string {
  const reply = fn(toHost(utf8(json)));
  if (reply == 0) return "{}";
  return String.UTF8.decode(fromHost(reply).buffer);
}

/** Log through the host (`af_log`); level is debug, info, warn or error. `fieldsJson` is a JSON object. */
export function log(level: string, message: string, fieldsJson: string = "{}"): void {
  _callHost(
    (o: u64): u64 => _af_log(o),
    '{"level":' + quote(level) + ',"message":' + quote(message) + ',"fields":' + fieldsJson + "}",
  );
}

/**
 * Call a connector method on a granted resource (`af_connector_call`). Returns the reply:
 * `{"result": ...}` or `{"error": "..."}`.
 */
export function connectorCall(resource: string, method: string, argsJson: string = "{}"): JValue {
  return parseJson(
    _callHost(
      (o: u64): u64 => _af_connector_call(o),
      '{"resource":' + quote(resource) + ',"method":' + quote(method) + ',"args":' + argsJson + "}",
    ),
  );
}

/** The reply of an HTTP request made through Extism (only to hosts the operator granted). */
export class HttpReply {
  status: i32;
  body: string;
  constructor(status: i32, body: string) {
    this.status = status;
    this.body = body;
  }
}

/** HTTP through Extism `http_request` (worker mode; host must be granted). `headersJson` is a JSON object. */
export function httpRequest(method: string, url: string, headersJson: string = "{}", body: string = ""): HttpReply {
  const req = toHost(utf8('{"method":' + quote(method) + ',"url":' + quote(url) + ',"headers":' + headersJson + "}"));
  let bodyOffset: u64 = 0;
  if (body.length > 0) bodyOffset = toHost(utf8(body));
  const reply = http_request(req, bodyOffset);
  const text = reply == 0 ? "" : String.UTF8.decode(fromHost(reply).buffer);
  return new HttpReply(http_status_code(), text);
}

/**
 * Guest directories and the host directories they show (the envelope's `work_dir`/`host_work_dir` and `dirs`):
 * a plugin reads and writes guest paths, but returns host paths in outputs that later built-in steps read.
 */
export class PathMap {
  guests: string[] = [];
  hosts: string[] = [];

  add(guest: string, host: string): void {
    if (guest.length == 0 || host.length == 0) return;
    this.guests.push(_trimSlash(guest));
    this.hosts.push(_trimSlash(host));
  }

  /** The host path of a guest path under a mapped directory, or "" when it is under none. */
  toHost(guest: string): string {
    return _swap(guest, this.guests, this.hosts);
  }

  /** The guest path of a host path under a mapped directory, or "" when it is under none. */
  toGuest(host: string): string {
    return _swap(host, this.hosts, this.guests);
  }
}

function _trimSlash(p: string): string {
  let s = p;
  while (s.length > 1 && s.endsWith("/")) s = s.substring(0, s.length - 1);
  return s;
}

// Longest matching root wins (a granted dir may lie inside another one).
function _swap(path: string, from: string[], to: string[]): string {
  let best = -1;
  for (let i = 0; i < from.length; i++) {
    const root = from[i];
    if (path == root || path.startsWith(root == "/" ? "/" : root + "/")) {
      if (best < 0 || root.length > from[best].length) best = i;
    }
  }
  if (best < 0) return "";
  const rest = path.substring(from[best].length);
  const base = to[best];
  if (rest.length == 0) return base;
  return base == "/" ? rest : base + (rest.startsWith("/") ? rest : "/" + rest);
}

function _readDirs(v: JValue, into: PathMap): void {
  const dirs = v.getObject("dirs");
  if (dirs == null) return;
  for (let i = 0; i < dirs.keys.length; i++) {
    if (dirs.items[i].kind == JKind.Str) into.add(dirs.keys[i], dirs.items[i].str);
  }
}

/** A step call envelope (docs/plugin-abi.md "Step call"). */
export class StepCall {
  type: string = "";
  flowId: string = "";
  jobId: string = "";
  runId: string = "";
  stepId: string = "";
  inputs: JValue = new JValue(JKind.Obj);
  /** Guest path of the job's artifacts dir ("" when files are not granted). */
  workDir: string = "";
  hostWorkDir: string = "";
  /** `work_dir` and every granted directory, guest <-> host. */
  paths: PathMap = new PathMap();

  /**
   * The guest path of a path given in the step's inputs: a relative path is under the artifacts dir, an
   * absolute one is a host path (as built-in steps and templates give them) and must lie in a granted
   * directory. "" when it cannot be reached.
   */
  guestPath(input: string): string {
    if (input.startsWith("/")) return this.paths.toGuest(input);
    if (this.workDir.length == 0) return "";
    let rel = input;
    while (rel.startsWith("./")) rel = rel.substring(2);
    return rel.length == 0 || rel == "." ? this.workDir : this.workDir + "/" + rel;
  }

  /** The host path of a guest path (for outputs), or "" when it is in no mapped directory. */
  hostPath(guest: string): string {
    return this.paths.toHost(guest);
  }
}

/** Parse the input of `aetherflow_step`. */
export function stepCall(): StepCall {
  const v = inputJson();
  const c = new StepCall();
  c.type = v.getString("type");
  c.flowId = v.getString("flow_id");
  c.jobId = v.getString("job_id");
  c.runId = v.getString("run_id");
  c.stepId = v.getString("step_id");
  const inputs = v.get("inputs");
  if (inputs != null) c.inputs = inputs;
  c.workDir = v.getString("work_dir");
  c.hostWorkDir = v.getString("host_work_dir");
  c.paths.add(c.workDir, c.hostWorkDir);
  _readDirs(v, c.paths);
  return c;
}

/** A connector call envelope (docs/plugin-abi.md "Connector call"). */
export class ConnectorCall {
  resource: string = "";
  kind: string = "";
  driver: string = "";
  method: string = "";
  config: JValue = new JValue(JKind.Obj);
  options: JValue = new JValue(JKind.Obj);
  args: JValue = new JValue(JKind.Obj);
  /** Granted directories and the local files of this call, guest <-> host. */
  paths: PathMap = new PathMap();
}

/** Parse the input of `aetherflow_connector`. */
export function connectorInput(): ConnectorCall {
  const v = inputJson();
  const c = new ConnectorCall();
  c.resource = v.getString("resource");
  c.kind = v.getString("kind");
  c.driver = v.getString("driver");
  c.method = v.getString("method");
  const config = v.getObject("config");
  if (config != null) c.config = config;
  const options = v.getObject("options");
  if (options != null) c.options = options;
  const args = v.getObject("args");
  if (args != null) c.args = args;
  _readDirs(v, c.paths);
  return c;
}

/** Output a connector result; `resultJson` is any JSON value. Returns 0 for the export. */
export function connectorResult(resultJson: string): i32 {
  output('{"result":' + resultJson + "}");
  return 0;
}

/** Output a SUCCESS step result; `outputsJson` is a JSON object. Returns 0 for the export. */
export function succeed(outputsJson: string): i32 {
  output('{"status":"SUCCESS","outputs":' + outputsJson + "}");
  return 0;
}

/** Output a SKIPPED step result with its reason. */
export function skip(reason: string, outputsJson: string = "{}"): i32 {
  output('{"status":"SKIPPED","outputs":' + outputsJson + ',"reason":' + quote(reason) + "}");
  return 0;
}

/** The abort handler to pass to asc with `--use abort=...`: reports the message as the plugin error. */
export function aetherflowAbort(
  message: string | null,
  fileName: string | null,
  lineNumber: u32,
  columnNumber: u32,
): void {
  const where = (fileName == null ? "?" : fileName) + ":" + lineNumber.toString() + ":" + columnNumber.toString();
  fail("abort: " + (message == null ? "" : message) + " at " + where);
  unreachable();
}
