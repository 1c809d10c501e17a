/**
 * Plugin steps and connectors as registry records: a plugin step is a StepDefinition whose `run` calls
 * `aetherflow_step` in the sandbox; a plugin connector is a `kind:driver` record whose `call` runs
 * `aetherflow_connector`.
 * @module
 */
import { PluginError } from "../../engine/errors.ts";
import type { JsonObject, JsonValue } from "../../engine/types.ts";
import type { StepDefinition } from "../../engine/steps/types.ts";
import type { ConnectorDescriptor, StepDescriptor } from "../abi/mod.ts";
import type { Connector, ConnectorDefinition, ConnectorResource } from "../../engine/connectors/types.ts";
import { toConnectorCaller } from "./call_scope.ts";
import type { WasmPlugin } from "./wasm_plugin.ts";

/** The StepDefinition for one step type a plugin declares. */
export function pluginStepDefinition(plugin: WasmPlugin, step: StepDescriptor): StepDefinition {
  return {
    type: step.type,
    origin: plugin.origin,
    run(inputs, ctx) {
      return plugin.callStep(
        {
          type: step.type,
          flow_id: ctx.flowId,
          job_id: ctx.jobId,
          run_id: ctx.runId,
          step_id: ctx.stepId,
          inputs: inputs as JsonObject,
        },
        {
          artifactsDir: ctx.artifactsDir,
          log: (level, message) => ctx.log[level](message),
          connectors: toConnectorCaller(ctx.connectors),
          signal: ctx.signal,
        },
      );
    },
  };
}

/**
 * A plugin connector type, shaped as engine/connectors `ConnectorDefinition` (`create(resource)` gives a
 * connector whose generic `call(method, args)` runs `aetherflow_connector`).
 */
export interface PluginConnectorDefinition extends ConnectorDefinition {
  /** Declared methods; empty = any. */
  readonly methods: readonly string[];
  /** Needs nothing but the resource (the plugin gets its resolved, decoded fields). */
  create(resource: ConnectorResource): Connector;
}

/** The connector record for one connector a plugin declares. */
export function pluginConnectorDefinition(
  plugin: WasmPlugin,
  connector: ConnectorDescriptor,
): PluginConnectorDefinition {
  const { kind, driver, methods } = connector;
  return {
    kind,
    driver,
    origin: plugin.origin,
    methods,
    create(resource: ConnectorResource): Connector {
      return {
        resource: resource.name,
        call(method: string, args: JsonValue): Promise<JsonValue> {
          if (methods.length > 0 && !methods.includes(method)) {
            return Promise.reject(
              new PluginError(`Connector ${kind}:${driver} (${plugin.origin}) has no method ${method}`),
            );
          }
          // Choosing this driver for a resource hands the plugin that resource's resolved, decoded fields.
          return plugin.callConnector({
            resource: resource.name,
            kind,
            driver,
            config: resource.config as JsonObject,
            options: resource.options as JsonObject,
            method,
            args: (args ?? {}) as JsonObject,
          });
        },
      };
    },
  };
}
