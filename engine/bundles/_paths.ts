// Path rules shared by the manifest schema and sync, kept dependency-free (a sync imports little).

/**
 * A relative path that stays inside the bundle: no absolute path, no `..`, no empty or `.` segment, no
 * backslash or NUL. Returns the reason it is unsafe, or undefined. Used for manifest paths and for every
 * entry a source lists (docs/bundles.md "Path safety").
 */
export function unsafeRelPath(path: string): string | undefined {
  if (path === "") return "empty path";
  if (path.includes("\u0000")) return "NUL byte";
  if (path.includes("\\")) return "backslash";
  if (path.startsWith("/")) return "absolute path";
  for (const seg of path.split("/")) {
    if (seg === "..") return "'..' segment";
    if (seg === "" || seg === ".") return "empty or '.' segment";
  }
  return undefined;
}

/** `./a//b/` -> `a/b` (for manifest paths, before the safety check); "" stays "". */
export function tidyRelPath(path: string): string {
  return path.trim().split("/").filter((s) => s !== "" && s !== ".").join("/");
}

/** The archive format named by a file name or URL path, or undefined. */
export function archiveFormat(name: string): "zip" | "tar.gz" | undefined {
  const n = name.toLowerCase();
  if (n.endsWith(".zip")) return "zip";
  if (n.endsWith(".tar.gz") || n.endsWith(".tgz")) return "tar.gz";
  return undefined;
}
