// Example connector plugin: kind `rest`, driver `examples_http`, method `get` — GETs `config.base_url` +
// `args.path` through Extism http_request. It asks for any host ("*"); the operator's `grants.hosts` decides
// which ones it really reaches.
import { fail, httpRequest, inputJson, output, quote } from "../../sdk/assembly/aetherflow";
export { aetherflowAbort } from "../../sdk/assembly/aetherflow";

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"examples-rest","version":"1.0.0",' +
      '"connectors":[{"kind":"rest","driver":"examples_http","methods":["get"]}],' +
      '"capabilities":{"hosts":["*"]}}',
  );
  return 0;
}

export function aetherflow_connector(): i32 {
  const call = inputJson();
  const method = call.getString("method");
  if (method != "get") return fail("unknown method " + method);
  const config = call.get("config");
  const args = call.get("args");
  const base = config == null ? "" : config.getString("base_url");
  const path = args == null ? "" : args.getString("path");
  if (base.length == 0) return fail("config.base_url is required");
  const reply = httpRequest("GET", base + path);
  output('{"result":{"status":' + reply.status.toString() + ',"body":' + quote(reply.body) + "}}");
  return 0;
}
