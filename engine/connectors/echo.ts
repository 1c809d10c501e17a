/**
 * `echo:echo`: a trivial built-in connector for tests and demos. `call` returns what it received, including
 * the resolved (decoded) config and options, so a test can check exactly what a connector gets.
 * @module
 */
import type { JsonValue } from "../types.ts";
import type { ConnectorDefinition } from "./types.ts";

export const echoConnector: ConnectorDefinition = {
  kind: "echo",
  driver: "echo",
  origin: "builtin",
  create(resource) {
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
};
