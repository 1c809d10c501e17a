// The OS temporary directory for schema defaults (docs/cli.md: `<tmp>`, never a hard-coded /tmp).
import { tmpdir } from "node:os";

export function osTempDir(): string {
  try {
    return tmpdir();
  } catch {
    // No env permission: fall back to the conventional location rather than failing validation.
    return "/tmp";
  }
}
