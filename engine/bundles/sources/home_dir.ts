// The user's home directory for `~` in manifest paths.
export function homeDir(): string {
  return Deno.env.get("HOME") ?? "/";
}
