/**
 * `echo:echo` (no library): a trivial built-in connector for tests and demos. `call` returns what it received,
 * including the resolved (decoded) config and options, so a test can check exactly what a connector gets.
 * Config and options are free-form maps.
 * @module
 */
import { fields } from "../../inputs/mod.ts";
import type { JsonValue } from "../../types.ts";
import { type Connector, defineConnector } from "../types.ts";

export const echoConnector = defineConnector({
  kind: "echo",
  driver: "echo",
  origin: "builtin",
  config: fields.record(),
  options: fields.record(),
  create(resource): Connector {
    let closed = false;
    return {
      resource: resource.name,
      call(method: string, args: JsonValue): Promise<JsonValue> {
        if (closed) return Promise.reject(new Error(`Connector for resource ${resource.name} is closed`));
        const seen = JSON.parse(JSON.stringify({ config: resource.config, options: resource.options }));
        return Promise.resolve({ resource: resource.name, method, args, ...seen });
      },
      close() {
        closed = true;
      },
    };
  },
});
