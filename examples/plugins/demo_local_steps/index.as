// demo-local-steps: the steps of the local demos (examples/multiflows-local/uc1 and uc2).
//   demo_prepare_inbox         writes sample.csv, zips it as <zip_name> in out_dir, deletes the csv
//   local_sftp_list_files      names in a remote dir of an sftp-local resource, filtered by a pattern
//   local_sftp_download_files  gets each remote file into <artifacts>/<dest_dir>/
//   local_transform_csv        copies a tree, upper-casing the header line of every *.csv
//   local_smb_upload_files     puts each local file into a remote dir of an smb-local resource
//   demo_generate_csv          writes a CSV (comma, CRLF, minimal quoting) from a header and rows
// Paths in inputs: relative = under the job's artifacts; absolute = a host path inside a granted directory.
// Paths in outputs are host paths, so later built-in steps and templates can use them.
import {
  connectorCall,
  fail,
  JKind,
  output,
  quote,
  StepCall,
  stepCall,
  succeed,
} from "../../../plugins/sdk/assembly/aetherflow";
import { baseName, dirName, fsError, mkdirs, removeFile, writeFile, writeText } from "../../../plugins/sdk/assembly/fs";
import { csvField, fnmatch } from "../lib/text";
import { jsonStrings, listInput, replyError, replyResult, scalarText, sortStrings, stringList, TransformResult, transformTree } from "../lib/util";
import { dosDateTime, writeZip, ZipInput } from "../lib/zip";
export { aetherflowAbort } from "../../../plugins/sdk/assembly/aetherflow";

@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, out: usize): u16;

export function aetherflow_describe(): i32 {
  output(
    '{"abi":1,"name":"demo-local-steps","version":"1.0.0","steps":[' +
      '{"type":"demo_prepare_inbox","description":"Write sample.csv zipped as <zip_name> into out_dir","inputs":{"out_dir":"path","zip_name":"string"}},' +
      '{"type":"local_sftp_list_files","description":"List a remote dir of an sftp-local resource","inputs":{"resource":"string","remote_dir":"string","pattern":"string"}},' +
      '{"type":"local_sftp_download_files","description":"Get remote files into <artifacts>/<dest_dir>","inputs":{"resource":"string","files":"list","dest_dir":"path"}},' +
      '{"type":"local_transform_csv","description":"Copy a tree, upper-casing each CSV header line","inputs":{"src_dir":"path","dst_dir":"path"}},' +
      '{"type":"local_smb_upload_files","description":"Put local files into a remote dir of an smb-local resource","inputs":{"resource":"string","local_files":"list","remote_dir":"string"}},' +
      '{"type":"demo_generate_csv","description":"Write a CSV from a header and rows","inputs":{"output":"path","header":"list","rows":"list of lists"}}' +
      '],"capabilities":{"files":"artifacts","dirs":["/demo_inbox"],"resources":["sftp_local","smb_local"]}}',
  );
  return 0;
}

export function aetherflow_step(): i32 {
  const call = stepCall();
  if (call.workDir.length == 0) return fail(call.type + " needs file access (grants.files: artifacts)");
  if (call.type == "demo_prepare_inbox") return _prepareInbox(call);
  if (call.type == "local_sftp_list_files") return _listFiles(call);
  if (call.type == "local_sftp_download_files") return _download(call);
  if (call.type == "local_transform_csv") return _transform(call);
  if (call.type == "local_smb_upload_files") return _upload(call);
  if (call.type == "demo_generate_csv") return _generateCsv(call);
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

// A path input as a guest path (see StepCall.guestPath), or a failure naming it.
function _guest(call: StepCall, key: string, value: string): string | null {
  const g = call.guestPath(value);
  return g.length == 0 ? null : g;
}

function _unreachable(call: StepCall, key: string, value: string): i32 {
  return fail(
    call.type + ": " + key + " " + value + " is outside the artifacts dir and every directory granted to this plugin",
  );
}

function _nowSeconds(): f64 {
  const out = new ArrayBuffer(8);
  if (clock_time_get(0, 1000000, changetype<usize>(out)) != 0) return 0;
  return <f64>load<u64>(changetype<usize>(out)) / 1e9;
}

function _prepareInbox(call: StepCall): i32 {
  const outDir = _required(call, "out_dir");
  if (outDir == null) return _missing(call, "out_dir");
  const zipName = _required(call, "zip_name");
  if (zipName == null) return _missing(call, "zip_name");
  const dir = _guest(call, "out_dir", outDir);
  if (dir == null) return _unreachable(call, "out_dir", outDir);
  if (!mkdirs(dir)) return fail(fsError());
  const csvPath = dir + "/sample.csv";
  const csv = "col1,col2\n1,hello\n2,world\n";
  if (!writeText(csvPath, csv)) return fail(fsError());
  const stamp = dosDateTime(_nowSeconds());
  const zip = writeZip([new ZipInput("sample.csv", Uint8Array.wrap(String.UTF8.encode(csv)))], stamp[0], stamp[1]);
  const zipPath = dir + "/" + zipName;
  if (!writeFile(zipPath, zip)) return fail(fsError());
  if (!removeFile(csvPath)) return fail(fsError());
  return succeed('{"demo_zip":' + quote(call.hostPath(zipPath)) + "}");
}

function _listFiles(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const remoteDir = _required(call, "remote_dir");
  if (remoteDir == null) return _missing(call, "remote_dir");
  const pattern = call.inputs.getString("pattern", "*");
  const reply = connectorCall(resource, "listdir", '{"dir":' + quote(remoteDir) + "}");
  const err = replyError(reply);
  if (err.length > 0) return fail("local_sftp_list_files: listdir " + remoteDir + " failed: " + err);
  const names = replyResult(reply);
  const picked: string[] = [];
  let prefix = remoteDir;
  while (prefix.length > 1 && prefix.endsWith("/")) prefix = prefix.substring(0, prefix.length - 1);
  for (let i = 0; i < names.items.length; i++) {
    const name = names.items[i].str;
    if (fnmatch(name, pattern)) picked.push(prefix + "/" + name);
  }
  return succeed('{"files":' + jsonStrings(sortStrings(picked)) + "}");
}

function _download(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const destDir = _required(call, "dest_dir");
  if (destDir == null) return _missing(call, "dest_dir");
  const dest = _guest(call, "dest_dir", destDir);
  if (dest == null) return _unreachable(call, "dest_dir", destDir);
  if (!mkdirs(dest)) return fail(fsError());
  const files = listInput(call.inputs.get("files"));
  const local: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const f = files[i];
    const remote = f.kind == JKind.Obj ? f.getString("path") : scalarText(f);
    const target = dest + "/" + baseName(remote);
    const reply = connectorCall(resource, "get", '{"remote":' + quote(remote) + ',"local":' + quote(target) + "}");
    const err = replyError(reply);
    if (err.length > 0) return fail(err);
    local.push(call.hostPath(target));
  }
  return succeed('{"local_files":' + jsonStrings(local) + ',"dest_dir":' + quote(call.hostPath(dest)) + "}");
}

function _transform(call: StepCall): i32 {
  const srcDir = _required(call, "src_dir");
  if (srcDir == null) return _missing(call, "src_dir");
  const dstDir = _required(call, "dst_dir");
  if (dstDir == null) return _missing(call, "dst_dir");
  const src = _guest(call, "src_dir", srcDir);
  if (src == null) return _unreachable(call, "src_dir", srcDir);
  const dst = _guest(call, "dst_dir", dstDir);
  if (dst == null) return _unreachable(call, "dst_dir", dstDir);
  const r = new TransformResult();
  transformTree(src, dst, r);
  if (!r.ok) return fail("local_transform_csv: " + r.error);
  return succeed('{"dst_dir":' + quote(call.hostPath(dst)) + ',"csv_transformed":' + r.csvCount.toString() + "}");
}

function _upload(call: StepCall): i32 {
  const resource = _required(call, "resource");
  if (resource == null) return _missing(call, "resource");
  const remoteDir = _required(call, "remote_dir");
  if (remoteDir == null) return _missing(call, "remote_dir");
  const files = stringList(call.inputs.get("local_files"));
  const uploaded: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const guest = _guest(call, "local_files", files[i]);
    if (guest == null) return _unreachable(call, "local_files", files[i]);
    const reply = connectorCall(
      resource,
      "put_file",
      '{"local_path":' + quote(guest) + ',"remote_dir":' + quote(remoteDir) + "}",
    );
    const err = replyError(reply);
    if (err.length > 0) return fail(err);
    uploaded.push(call.hostPath(guest));
  }
  return succeed('{"uploaded":' + jsonStrings(uploaded) + ',"remote_dir":' + quote(remoteDir) + "}");
}

function _generateCsv(call: StepCall): i32 {
  const outputPath = _required(call, "output");
  if (outputPath == null) return _missing(call, "output");
  const target = _guest(call, "output", outputPath);
  if (target == null) return _unreachable(call, "output", outputPath);
  const header = stringList(call.inputs.get("header"));
  const rows = listInput(call.inputs.get("rows"));
  let text = "";
  if (header.length > 0) text += _csvLine(header);
  for (let i = 0; i < rows.length; i++) {
    if (rows[i].kind != JKind.Arr) return fail("demo_generate_csv: rows[" + i.toString() + "] must be a list");
    text += _csvLine(stringList(rows[i]));
  }
  if (!mkdirs(dirName(target)) || !writeText(target, text)) return fail(fsError());
  return succeed('{"artifact_path":' + quote(call.hostPath(target)) + "}");
}

function _csvLine(cells: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cells.length; i++) parts.push(csvField(cells[i]));
  return parts.join(",") + "\r\n";
}
