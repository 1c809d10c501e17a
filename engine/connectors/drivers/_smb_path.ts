// The SMB path forms of the smb drivers (docs/connectors.md "SMB paths"): `dir/f`, `/dir/f`, `\dir\f` (default
// share), `SHARE:/dir/f` or `SHARE:\dir\f` (share override; SHARE is at least two of [A-Za-z0-9_.-], a
// one-letter prefix is a drive), `C:\dir\f` (drive dropped, default share), UNC `\\host\share\dir\f`.

export interface SmbPath {
  /** Host named by a UNC path, else null. */
  host: string | null;
  /** Share named by the path (UNC or `SHARE:`), else null (the caller's default applies). */
  share: string | null;
  /** Components inside the share (no `.`/`..`, never above the share root). */
  parts: string[];
}

const _UNC_REGEXP = /^(?:\\\\|\/\/)([^\\/]+)[\\/]+([^\\/]+)(?:[\\/]+(.*))?$/s;
const _SHARE_REGEXP = /^([A-Za-z0-9_.-]{2,}):(.*)$/s;
const _DRIVE_REGEXP = /^[A-Za-z]:(.*)$/s;

function _parts(rest: string): string[] {
  const out: string[] = [];
  for (const p of rest.split(/[\\/]+/)) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out;
}

/** Parse one of the path forms (pure). */
export function parseSmbPath(raw: string): SmbPath {
  const unc = _UNC_REGEXP.exec(raw);
  if (unc) return { host: unc[1]!, share: unc[2]!, parts: _parts(unc[3] ?? "") };
  const share = _SHARE_REGEXP.exec(raw);
  if (share) return { host: null, share: share[1]!, parts: _parts(share[2]!) };
  const drive = _DRIVE_REGEXP.exec(raw);
  if (drive) return { host: null, share: null, parts: _parts(drive[1]!) };
  return { host: null, share: null, parts: _parts(raw) };
}
