// demo-local-connectors: the infra-free stand-ins of the local demos (examples/multiflows-local).
//   sftp:sftp-local  an "SFTP server" that is a local folder (config.base_dir): listdir, get, and the files
//                    kind's list/download/upload/delete, so built-in sftp_* steps can use it too
//   smb:smb-local    an "SMB share" that is a local folder: put_file, and the same files methods
//   mail:mail-dummy  keeps messages in memory and logs them: send, send_plaintext, send_html, sent
// base_dir must be a host directory the operator granted (grants.dirs at /demo_inbox or /demo_outbox).
// Local files of a call (get's `local`, put_file's `local_path`) arrive as guest paths the host mapped.
import {
  ConnectorCall,
  connectorInput,
  connectorResult,
  fail,
  log,
  output,
  quote,
} from "../../../plugins/sdk/assembly/aetherflow";
import {
  baseName,
  copyFile,
  dirName,
  fsError,
  lastWasNotFound,
  listDir,
  mkdirs,
  removeFile,
  stat,
} from "../../../plugins/sdk/assembly/fs";
import { jsonStrings, stringList } from "../lib/util";
export { aetherflowAbort } from "../../../plugins/sdk/assembly/aetherflow";

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"demo-local-connectors","version":"1.0.0","connectors":[' +
      '{"kind":"sftp","driver":"sftp-local","methods":["listdir","get","list","download","upload","delete"]},' +
      '{"kind":"smb","driver":"smb-local","methods":["put_file","list","download","upload","delete"]},' +
      '{"kind":"mail","driver":"mail-dummy","methods":["send","send_plaintext","send_html","sent"]}],' +
      '"capabilities":{"files":"artifacts","dirs":["/demo_inbox","/demo_outbox"]}}',
  );
  return 0;
}

const _sent: string[] = [];

export function aetherflow_connector(): i32 {
  const call = connectorInput();
  if (call.driver == "mail-dummy") return _mail(call);
  return _files(call);
}

// ---------------------------------------------------------------------------------------------- mail-dummy

function _mail(call: ConnectorCall): i32 {
  const m = call.method;
  if (m == "sent") return connectorResult("[" + _sent.join(",") + "]");
  if (m != "send" && m != "send_plaintext" && m != "send_html") return fail("mail-dummy has no method " + m);
  const a = call.args;
  const to = stringList(a.get("to"));
  const body = m == "send_html" ? a.getString("html") : a.getString("body");
  const fromAddr = a.getString("from_addr");
  _sent.push(
    '{"to":' + jsonStrings(to) + ',"subject":' + quote(a.getString("subject")) + ',"body":' + quote(body) +
      ',"from_addr":' + quote(fromAddr) + "}",
  );
  log("info", "mail-dummy kept a message (nothing leaves the process)", '{"to":' + jsonStrings(to) + ',"subject":' +
    quote(a.getString("subject")) + "}");
  return connectorResult("null");
}

// --------------------------------------------------------------------------------- sftp-local, smb-local

class _Base {
  guest: string = "";
  host: string = "";
  error: string = "";
}

function _base(call: ConnectorCall): _Base {
  const b = new _Base();
  const host = call.config.getString("base_dir", ".");
  if (!host.startsWith("/")) {
    b.error = call.driver + ": config.base_dir must be an absolute path (got " + quote(host) + ")";
    return b;
  }
  const guest = call.paths.toGuest(host);
  if (guest.length == 0) {
    b.error = call.driver + ": config.base_dir " + host +
      " is not inside a directory granted to plugin demo-local-connectors (grants.dirs /demo_inbox, /demo_outbox)";
    return b;
  }
  b.guest = guest;
  b.host = host;
  return b;
}

// A remote path relative to base_dir; '..' segments are refused so a path cannot leave the folder.
function _remote(path: string): string | null {
  const parts = path.split("/");
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length == 0 || p == ".") continue;
    if (p == "..") return null;
    kept.push(p);
  }
  return kept.join("/");
}

function _under(root: string, rel: string): string {
  return rel.length == 0 ? root : root + "/" + rel;
}

function _files(call: ConnectorCall): i32 {
  const base = _base(call);
  if (base.error.length > 0) return fail(base.error);
  const a = call.args;
  const m = call.method;
  if (m == "listdir" || m == "list") {
    const dir = a.getString(m == "listdir" ? "dir" : "path");
    const rel = _remote(dir);
    if (rel == null) return fail("remote path leaves base_dir: " + dir);
    const entries = listDir(_under(base.guest, rel));
    if (entries == null) {
      if (lastWasNotFound()) return connectorResult("[]");
      return fail(fsError());
    }
    const parts: string[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (m == "listdir") {
        if (e.isFile) parts.push(quote(e.name));
        continue;
      }
      const remotePath = (dir.endsWith("/") ? dir : dir + "/") + e.name;
      const s = stat(_under(base.guest, rel.length == 0 ? e.name : rel + "/" + e.name));
      const size = s == null || e.isDir ? "null" : s.size.toString();
      const mtime = s == null ? "null" : s.mtime.toString();
      parts.push(
        '{"path":' + quote(remotePath) + ',"name":' + quote(e.name) + ',"is_dir":' + (e.isDir ? "true" : "false") +
          ',"size":' + size + ',"mtime":' + mtime + "}",
      );
    }
    return connectorResult("[" + parts.join(",") + "]");
  }
  if (m == "get" || m == "download") {
    const remote = a.getString("remote");
    const local = a.getString("local");
    const rel = _remote(remote);
    if (rel == null) return fail("remote path leaves base_dir: " + remote);
    const from = _under(base.guest, rel);
    if (stat(from) == null) return fail("Local SFTP path not found: " + _under(base.host, rel));
    if (!mkdirs(dirName(local)) || !copyFile(from, local)) return fail(fsError());
    return connectorResult("null");
  }
  if (m == "put_file" || m == "upload") {
    const local = m == "put_file" ? a.getString("local_path") : a.getString("local");
    const target = m == "put_file" ? a.getString("remote_dir") + "/" + baseName(local) : a.getString("remote");
    const rel = _remote(target);
    if (rel == null || rel.length == 0) return fail("remote path leaves base_dir: " + target);
    const to = _under(base.guest, rel);
    if (!mkdirs(dirName(to)) || !copyFile(local, to)) return fail(fsError());
    return connectorResult(m == "put_file" ? '{"remote":' + quote(rel) + "}" : "null");
  }
  if (m == "delete") {
    const path = a.getString("path");
    const rel = _remote(path);
    if (rel == null || rel.length == 0) return fail("remote path leaves base_dir: " + path);
    if (!removeFile(_under(base.guest, rel))) return fail(fsError());
    return connectorResult("null");
  }
  return fail(call.driver + " has no method " + m);
}
