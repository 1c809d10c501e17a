// Parser error messages without the excerpt of the input that V8's JSON.parse and the `yaml` package append:
// the input is an env file, a profiles document or a settings file, and the excerpt may hold a secret (D18).

// V8: `Unexpected token 'h', ..."ASSWORD": hunter2sec"... is not valid JSON` / `"NaN" is not valid JSON`.
const _JSON_EXCERPT_REGEXP = /(?:^|, )(?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON$/;
// yaml: `Missing closing "quote at line 5, column 1:\n\n  password: "hunter2\n^\n`.
const _YAML_EXCERPT_REGEXP = /(at line \d+, column \d+):\n[\s\S]*$/;

/** Why parsing failed, in one line, without quoting the input. */
export function parseErrorReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const json = msg.replace(_JSON_EXCERPT_REGEXP, "");
  if (json !== msg) return json === "" ? "not valid JSON" : json;
  return msg.replace(_YAML_EXCERPT_REGEXP, "$1").split("\n")[0]!.trimEnd();
}
