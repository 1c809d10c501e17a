// `--env-file` (repeatable) and the environment variables that matter, shared by run/validate/doctor/explain
// (docs/cli.md, docs/configuration.md).

/** commander collector for a repeatable option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const ENV_FILE_HELP =
  "env file loaded after AETHERFLOW_ENV_FILES_JSON (repeatable, later wins; dotenv, or JSON for *.json)";

/** The `Environment:` block of `run --help`. */
export const RUN_ENV_HELP = `
Environment (besides the flow's own {{env.*}} keys):
  AETHERFLOW_ENV_FILES_JSON      JSON list of env files to load ({"type":"dotenv","path":...}); --env-file adds more
  AETHERFLOW_LOG_LEVEL           DEBUG, INFO (default), WARNING, ERROR
  AETHERFLOW_LOG_FORMAT          text (default) or json (one JSON object per line)
  AETHERFLOW_STATE_SYNCHRONOUS   NORMAL relaxes fsync of the state database (default FULL)
  AETHERFLOW_PROFILES_FILE       profiles file (YAML or JSON); or AETHERFLOW_PROFILES_JSON inline
  AETHERFLOW_SETTINGS_FILE       settings file; every setting also has its AETHERFLOW_* variable (aetherflow settings)
  AETHERFLOW_VALIDATE_ENV_STRICT true: a missing {{env.X}} is an error, not a warning
  AETHERFLOW_PLUGIN_LOCK         plugin lock file (default: aetherflow.plugins.yaml beside the flow)
  AETHERFLOW_METRICS_TEXTFILE    Prometheus textfile written at the end of the run
  AETHERFLOW_OTLP_ENDPOINT       OTLP/HTTP metrics endpoint
  AETHERFLOW_DEBUG               1: stack traces on errors (same as --debug)
  JOURNAL_STREAM                 set by systemd: log lines get journald priority prefixes
  NO_COLOR                       no live progress line on a terminal

Examples:
  aetherflow run flows/daily.yaml
  aetherflow run flows/daily.yaml --run-id nightly-2026-11-28        # start or resume this run
  aetherflow run flows/daily.yaml --env-file .env --env-file prod.env
  AETHERFLOW_LOG_FORMAT=json aetherflow run flows/daily.yaml 2> run.jsonl
`;
