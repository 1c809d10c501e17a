/**
 * systemd's `EnvironmentFile=` format, read so that `schedule systemd` and `schedule validate
 * --environment-file` check flows with the environment the unit will really have (systemd does not pass the
 * shell's). Rules (systemd.exec(5)): `KEY=VALUE` lines; empty lines and lines starting with `#` or `;` are
 * ignored; a trailing `\` joins the next line; a value may be in double quotes (`\"`, `\\`, `\$`, `\``
 * escapes) or single quotes (literal); unquoted values are trimmed and lose their backslashes.
 * @module
 */

const _KEY_REGEXP = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The variables of an EnvironmentFile; lines without a valid `KEY=` are skipped, as systemd does. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    while (line.endsWith("\\") && !line.endsWith("\\\\") && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i];
    }
    const trimmed = line.trimStart();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) continue;
    const key = trimmed.slice(0, eq).trim();
    if (!_KEY_REGEXP.test(key)) continue;
    out[key] = _value(trimmed.slice(eq + 1).trim());
  }
  return out;
}

function _value(raw: string): string {
  if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return raw.slice(1, -1);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    return raw.slice(1, -1).replace(/\\(["\\$`])/g, "$1").replace(/\\\n/g, "");
  }
  return raw.replace(/\\(.)/g, "$1");
}
