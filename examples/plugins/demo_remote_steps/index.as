// demo-remote-steps: the custom steps of the remote demos (examples/multiflows-remote/uc1 and uc2). The network
// protocols run in the host's built-in connectors (sftp:paramiko, smb:pysmb, mail:smtp), reached through
// af_connector_call; this plugin only decides what to list, fetch, delete, send and check.
//   sftp_list_files_custom          list a remote dir (optionally recursive), SKIPPED below min_count
//   sftp_download_files_custom      download listed files into <artifacts>/<dest_dir>/<rel_path>
//   sftp_delete_files_custom        delete listed files
//   fs_find_zipfiles                zip files under a local dir (another job's artifacts: grants.dirs /work)
//   local_transform_csv             copy a tree, upper-casing each CSV header line
//   smb_upload_files_custom         upload local files to <remote_dir>/<basename>
//   mail_send_dummy                 send_plaintext through a mail resource
//   excel_validate_template_custom  required names as defined names or cell texts of an .xlsx
import {
  connectorCall,
  fail,
  JKind,
  output,
  quote,
  skip,
  StepCall,
  stepCall,
  succeed,
} from "../../../plugins/sdk/assembly/aetherflow";
import { baseName, dirName, fsError, lastWasNotFound, listDir, mkdirs, readFile, stat } from "../../../plugins/sdk/assembly/fs";
import { fnmatch, innerXml, startTag, xmlAttr, xmlElements, xmlTexts } from "../lib/text";
import {
  jsonStrings,
  listInput,
  replyError,
  replyResult,
  scalarText,
  sortStrings,
  stringList,
  TransformResult,
  transformTree,
} from "../lib/util";
import { readZipMember } from "../lib/zip";
export { aetherflowAbort } from "../../../plugins/sdk/assembly/aetherflow";

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"demo-remote-steps","version":"1.0.0","steps":[' +
      '{"type":"sftp_list_files_custom","description":"List remote files (SKIPPED below min_count)","inputs":{"resource":"string","remote_dir":"string","pattern":"string","recursive":"bool","min_count":"int"}},' +
      '{"type":"sftp_download_files_custom","description":"Download listed files into <artifacts>/<dest_dir>","inputs":{"resource":"string","files":"list","dest_dir":"path"}},' +
      '{"type":"sftp_delete_files_custom","description":"Delete listed remote files","inputs":{"resource":"string","files":"list"}},' +
      '{"type":"fs_find_zipfiles","description":"Zip files under a local directory","inputs":{"src_dir":"path","pattern":"string","recursive":"bool"}},' +
      '{"type":"local_transform_csv","description":"Copy a tree, upper-casing each CSV header line","inputs":{"src_dir":"path","dst_dir":"path"}},' +
      '{"type":"smb_upload_files_custom","description":"Upload local files to <remote_dir>/<basename>","inputs":{"resource":"string","local_files":"list","remote_dir":"string"}},' +
      '{"type":"mail_send_dummy","description":"Send a plain-text mail through a mail resource","inputs":{"resource":"string","to":"list","subject":"string","body":"string"}},' +
      '{"type":"excel_validate_template_custom","description":"Check required names in an .xlsx template","inputs":{"template_path":"path","required_names":"list","sheet":"string"}}' +
      '],"capabilities":{"files":"artifacts","dirs":["/work"],"resources":["sftp_main","smb_main","mail_main"]}}',
  );
  return 0;
}

export function aetherflow_step(): i32 {
  const call = stepCall();
  if (call.workDir.length == 0) return fail(call.type + " needs file access (grants.files: artifacts)");
  if (call.type == "sftp_list_files_custom") return _list(call);
  if (call.type == "sftp_download_files_custom") return _download(call);
  if (call.type == "sftp_delete_files_custom") return _delete(call);
  if (call.type == "fs_find_zipfiles") return _findZips(call);
  if (call.type == "local_transform_csv") return _transform(call);
  if (call.type == "smb_upload_files_custom") return _upload(call);
  if (call.type == "mail_send_dummy") return _mail(call);
  if (call.type == "excel_validate_template_custom") return _validateTemplate(call);
  return fail("unknown step type " + call.type);
}

function _required(call: StepCall, key: string): string | null {
  const v = call.inputs.get(key);
  if (v == null || v.kind == JKind.Null || (v.kind == JKind.Str && v.str.length == 0)) return null;
  return scalarText(v);
}

function _missing(call: StepCall, key: string): i32 {
  return fail("Step " + call.stepId + " (" + call.type + ") missing input: " + key);
}

function _unreachable(call: StepCall, key: string, value: string): i32 {
  return fail(
    call.type + ": " + key + " " + value + " is outside the artifacts dir and every directory granted to this plugin",
  );
}

function _bool(call: StepCall, key: string, fallback: bool): bool {
  const v = call.inputs.get(key);
  if (v == null || v.kind == JKind.Null) return fallback;
  if (v.kind == JKind.Bool) return v.flag;
  const t = scalarText(v).trim().toLowerCase();
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return fallback;
}

function _int(call: StepCall, key: string, fallback: i32): i32 {
  const v = call.inputs.get(key);
  if (v == null || v.kind == JKind.Null) return fallback;
  if (v.kind == JKind.Num) return <i32>v.num;
  const t = scalarText(v).trim();
  return t.length == 0 ? fallback : <i32>parseInt(t, 10);
}

function _trimSlashes(p: string): string {
  let s = p;
  while (s.length > 1 && s.endsWith("/")) s = s.substring(0, s.length - 1);
  return s;
}

// ----------------------------------------------------------------------------------------------- SFTP list

class _Walk {
  files: string[] = []; // JSON objects, one per file
  relPaths: string[] = [];
  error: string = "";
}

function _walk(resource: string, root: string, dir: string, pattern: string, recursive: bool, into: _Walk): void {
  const reply = connectorCall(resource, "list", '{"path":' + quote(dir) + "}");
  const err = replyError(reply);
  if (err.length > 0) {
    into.error = err;
    return;
  }
  const entries = replyResult(reply).items;
  for (let i = 0; i < entries.length && into.error.length == 0; i++) {
    const e = entries[i];
    const name = e.getString("name");
    const path = e.getString("path");
    if (e.getBool("is_dir")) {
      if (recursive) _walk(resource, root, path, pattern, recursive, into);
      continue;
    }
    if (!fnmatch(name, pattern)) continue;
    const rel = path.startsWith(root + "/") ? path.substring(root.length + 1) : name;
    const size = e.get("size");
    const mtime = e.get("mtime");
    into.relPaths.push(rel);
    into.files.push(
      '{"rel_path":' + quote(rel) + ',"path":' + quote(path) + ',"name":' + quote(name) + ',"is_dir":false,"size":' +
        (size == null ? "null" : size.raw) + ',"mtime":' + (mtime == null ? "null" : mtime.raw) + ',"sha256":null}',
    );
  }
}

function _list(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const remoteDirIn = _required(call, "remote_dir");
  if (remoteDirIn == null) return _missing(call, "remote_dir");
  const remoteDir = _trimSlashes(remoteDirIn);
  const pattern = call.inputs.getString("pattern", "*");
  const recursive = _bool(call, "recursive", false);
  const minCount = _int(call, "min_count", 1);
  const w = new _Walk();
  _walk(resource, remoteDir, remoteDir, pattern, recursive, w);
  if (w.error.length > 0) {
    return fail("SFTPListFilesCustom list failed: " + remoteDirIn + " " + (recursive ? "true" : "false") + " " + w.error);
  }
  // Sorted by rel_path (unique within one listing).
  const sortedRel = sortStrings(w.relPaths);
  const files: string[] = [];
  for (let i = 0; i < sortedRel.length; i++) files.push(w.files[w.relPaths.indexOf(sortedRel[i])]);
  const count = files.length;
  if (count < minCount) {
    return skip(
      "count(" + count.toString() + ") < min_count(" + minCount.toString() + ")",
      '{"has_data":false,"count":' + count.toString() + ',"files":[]}',
    );
  }
  return succeed('{"has_data":true,"count":' + count.toString() + ',"files":[' + files.join(",") + "]}");
}

// ----------------------------------------------------------------------------------- SFTP download, delete

function _download(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const destDir = _required(call, "dest_dir");
  if (destDir == null) return _missing(call, "dest_dir");
  const dest = call.guestPath(destDir);
  if (dest.length == 0) return _unreachable(call, "dest_dir", destDir);
  if (!mkdirs(dest)) return fail(fsError());
  const files = listInput(call.inputs.get("files"));
  const local: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const remote = f.kind == JKind.Obj ? f.getString("path") : scalarText(f);
    let rel = f.kind == JKind.Obj ? f.getString("rel_path") : "";
    if (rel.length == 0 || rel.startsWith("/") || rel.split("/").includes("..")) rel = baseName(remote);
    const target = dest + "/" + rel;
    if (!mkdirs(dirName(target))) return fail(fsError());
    const reply = connectorCall(resource, "download", '{"remote":' + quote(remote) + ',"local":' + quote(target) + "}");
    const err = replyError(reply);
    if (err.length > 0) return fail("sftp_download_files_custom: download " + remote + " failed: " + err);
    local.push(call.hostPath(target));
  }
  return succeed('{"local_files":' + jsonStrings(local) + ',"dest_dir":' + quote(call.hostPath(dest)) + "}");
}

function _delete(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const files = listInput(call.inputs.get("files"));
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const remote = f.kind == JKind.Obj ? f.getString("path") : scalarText(f);
    const reply = connectorCall(resource, "delete", '{"path":' + quote(remote) + "}");
    const err = replyError(reply);
    if (err.length > 0) return fail("sftp_delete_files_custom: delete " + remote + " failed: " + err);
  }
  return succeed('{"is_deleted":true}');
}

// ------------------------------------------------------------------------------------------ local files

function _collectZips(dir: string, pattern: string, recursive: bool, into: string[]): bool {
  const entries = listDir(dir);
  if (entries == null) return false;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const path = dir + "/" + e.name;
    if (e.isDir) {
      if (recursive && !_collectZips(path, pattern, recursive, into)) return false;
    } else if (e.isFile && fnmatch(e.name, pattern)) into.push(path);
  }
  return true;
}

function _findZips(call: StepCall): i32 {
  const srcDir = _required(call, "src_dir");
  if (srcDir == null) return _missing(call, "src_dir");
  const src = call.guestPath(srcDir);
  if (src.length == 0) return _unreachable(call, "src_dir", srcDir);
  const pattern = call.inputs.getString("pattern", "*.zip");
  const recursive = _bool(call, "recursive", true);
  const s = stat(src);
  if (s == null || !s.isDir) {
    if (s == null && !lastWasNotFound()) return fail(fsError());
    return succeed('{"zip_files":[]}');
  }
  const found: string[] = [];
  if (!_collectZips(src, pattern, recursive, found)) return fail(fsError());
  const hosts: string[] = [];
  for (let i = 0; i < found.length; i++) hosts.push(call.hostPath(found[i]));
  return succeed('{"zip_files":' + jsonStrings(sortStrings(hosts)) + ',"src_dir":' + quote(call.hostPath(src)) + "}");
}

function _transform(call: StepCall): i32 {
  const srcDir = _required(call, "src_dir");
  if (srcDir == null) return _missing(call, "src_dir");
  const dstDir = _required(call, "dst_dir");
  if (dstDir == null) return _missing(call, "dst_dir");
  const src = call.guestPath(srcDir);
  if (src.length == 0) return _unreachable(call, "src_dir", srcDir);
  const dst = call.guestPath(dstDir);
  if (dst.length == 0) return _unreachable(call, "dst_dir", dstDir);
  const r = new TransformResult();
  transformTree(src, dst, r);
  if (!r.ok) return fail("local_transform_csv: " + r.error);
  return succeed('{"dst_dir":' + quote(call.hostPath(dst)) + ',"csv_transformed":' + r.csvCount.toString() + "}");
}

// ------------------------------------------------------------------------------------------ SMB, mail

function _upload(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const remoteDirIn = _required(call, "remote_dir");
  if (remoteDirIn == null) return _missing(call, "remote_dir");
  const remoteDir = _trimSlashes(remoteDirIn);
  const files = stringList(call.inputs.get("local_files"));
  const uploaded: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const guest = call.guestPath(files[i]);
    if (guest.length == 0) return _unreachable(call, "local_files", files[i]);
    const remote = remoteDir + "/" + baseName(guest);
    const reply = connectorCall(resource, "upload", '{"local":' + quote(guest) + ',"remote":' + quote(remote) + "}");
    const err = replyError(reply);
    if (err.length > 0) return fail("smb_upload_files_custom: upload " + files[i] + " failed: " + err);
    uploaded.push(call.hostPath(guest));
  }
  return succeed('{"uploaded":' + jsonStrings(uploaded) + ',"remote_dir":' + quote(remoteDirIn) + "}");
}

function _mail(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const to = stringList(call.inputs.get("to"));
  if (to.length == 0) return _missing(call, "to");
  const subject = call.inputs.getString("subject");
  const body = call.inputs.getString("body");
  const fromAddr = call.inputs.getString("from_addr", "no-reply@test.com");
  const cc = stringList(call.inputs.get("cc"));
  const bcc = stringList(call.inputs.get("bcc"));
  const reply = connectorCall(
    resource,
    "send_plaintext",
    '{"to":' + jsonStrings(to) + ',"subject":' + quote(subject) + ',"body":' + quote(body) + ',"from_addr":' +
      quote(fromAddr) + ',"cc":' + jsonStrings(cc) + ',"bcc":' + jsonStrings(bcc) + "}",
  );
  const err = replyError(reply);
  if (err.length > 0) return fail("mail_send_dummy: " + err);
  return succeed(
    '{"sent":true,"to":' + jsonStrings(to) + ',"subject":' + quote(subject) + ',"body":' + quote(body) + "}",
  );
}

// ------------------------------------------------------------------------------------ template validation

class _Book {
  error: string = "";
  names: string[] = []; // workbook-level defined names
  sheetNames: string[] = [];
  sheetParts: string[] = [];
  shared: string[] = [];
}

function _part(zip: Uint8Array, name: string): string | null {
  const bytes = readZipMember(zip, name);
  if (bytes == null) return null;
  return String.UTF8.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function _readBook(zip: Uint8Array): _Book {
  const b = new _Book();
  const workbook = _part(zip, "xl/workbook.xml");
  if (workbook == null) {
    b.error = "not an .xlsx workbook (no xl/workbook.xml)";
    return b;
  }
  const rels = _part(zip, "xl/_rels/workbook.xml.rels");
  const relIds: string[] = [];
  const relTargets: string[] = [];
  if (rels != null) {
    const list = xmlElements(rels, "Relationship");
    for (let i = 0; i < list.length; i++) {
      const tag = startTag(list[i]);
      const id = xmlAttr(tag, "Id");
      const target = xmlAttr(tag, "Target");
      if (id != null && target != null) {
        relIds.push(id);
        relTargets.push(target.startsWith("/") ? target.substring(1) : "xl/" + target);
      }
    }
  }
  const sheets = xmlElements(workbook, "sheet");
  for (let i = 0; i < sheets.length; i++) {
    const tag = startTag(sheets[i]);
    const name = xmlAttr(tag, "name");
    const rid = xmlAttr(tag, "r:id");
    if (name == null) continue;
    const at = rid == null ? -1 : relIds.indexOf(rid);
    b.sheetNames.push(name);
    b.sheetParts.push(at >= 0 ? relTargets[at] : "xl/worksheets/sheet" + (i + 1).toString() + ".xml");
  }
  const defined = xmlElements(workbook, "definedName");
  for (let i = 0; i < defined.length; i++) {
    const tag = startTag(defined[i]);
    const name = xmlAttr(tag, "name");
    if (name != null && xmlAttr(tag, "localSheetId") == null) b.names.push(name);
  }
  const shared = _part(zip, "xl/sharedStrings.xml");
  if (shared != null) {
    const items = xmlElements(shared, "si");
    for (let i = 0; i < items.length; i++) b.shared.push(xmlTexts(innerXml(items[i])));
  }
  return b;
}

// Trimmed string cell values of one worksheet part.
function _sheetTexts(zip: Uint8Array, part: string, shared: string[], into: string[]): void {
  const xml = _part(zip, part);
  if (xml == null) return;
  const cells = xmlElements(xml, "c");
  for (let i = 0; i < cells.length; i++) {
    const tag = startTag(cells[i]);
    const t = xmlAttr(tag, "t");
    if (t == null) continue;
    const inner = innerXml(cells[i]);
    let text: string | null = null;
    if (t == "s") {
      const v = xmlElements(inner, "v");
      if (v.length > 0) {
        const idx = <i32>parseInt(innerXml(v[0]).trim(), 10);
        if (idx >= 0 && idx < shared.length) text = shared[idx];
      }
    } else if (t == "inlineStr") {
      text = xmlTexts(inner);
    } else if (t == "str") {
      const v = xmlElements(inner, "v");
      if (v.length > 0) text = xmlTexts("<t>" + innerXml(v[0]) + "</t>");
    }
    if (text != null) into.push(text.trim());
  }
}

function _validateTemplate(call: StepCall): i32 {
  const templatePath = _required(call, "template_path");
  if (templatePath == null) return _missing(call, "template_path");
  const required = stringList(call.inputs.get("required_names"));
  if (required.length == 0) return _missing(call, "required_names");
  const guest = call.guestPath(templatePath);
  if (guest.length == 0) return _unreachable(call, "template_path", templatePath);
  const zip = readFile(guest);
  if (zip == null) return fail("Template not found: " + templatePath + " (" + fsError() + ")");
  const book = _readBook(zip);
  if (book.error.length > 0) return fail("Template " + templatePath + ": " + book.error);
  const texts: string[] = [];
  const sheetV = call.inputs.get("sheet");
  const sheet = sheetV == null || sheetV.kind == JKind.Null ? "" : scalarText(sheetV);
  if (sheet.length > 0) {
    const at = book.sheetNames.indexOf(sheet);
    if (at < 0) return fail("Sheet not found: " + sheet);
    _sheetTexts(zip, book.sheetParts[at], book.shared, texts);
  } else {
    for (let i = 0; i < book.sheetParts.length; i++) _sheetTexts(zip, book.sheetParts[i], book.shared, texts);
  }
  const named: string[] = [];
  const anchors: string[] = [];
  const missing: string[] = [];
  for (let i = 0; i < required.length; i++) {
    const name = required[i];
    if (book.names.includes(name)) {
      if (!named.includes(name)) named.push(name);
    } else if (texts.includes(name.trim())) {
      if (!anchors.includes(name)) anchors.push(name);
    } else missing.push(name);
  }
  if (missing.length > 0) {
    return fail("Template missing named ranges or anchor cells: " + jsonStrings(missing) + " " + jsonStrings(required));
  }
  return succeed(
    '{"template_ok":true,"found_named_ranges":' + jsonStrings(sortStrings(named)) + ',"found_anchor_cells":' +
      jsonStrings(sortStrings(anchors)) + "}",
  );
}
