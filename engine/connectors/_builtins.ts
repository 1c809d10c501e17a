// Built-in connector definitions, as an explicit list (no side-effect registration).
import { echoConnector } from "./echo.ts";
import type { ConnectorDefinition } from "./types.ts";

export const BUILTIN_CONNECTORS: readonly ConnectorDefinition[] = [echoConnector];
