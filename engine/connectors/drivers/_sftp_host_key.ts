// Host key fingerprints of the sftp driver: what users write (`SHA256:<base64>` as `ssh-keygen -lf` prints it, or
// 64 hex digits, colons allowed) and what ssh2 hands to `hostVerifier` with `hostHash: "sha256"` (lowercase hex).

/** The hex form of a written fingerprint, or null when it is neither form. */
export function fingerprintHex(text: string): string | null {
  const t = text.trim();
  const b64 = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(t);
  if (b64) {
    const bytes = Uint8Array.from(atob(`${b64[1]}=`), (c) => c.charCodeAt(0));
    return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  }
  const hex = t.replace(/:/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

/** `SHA256:<base64 without padding>` of a hex digest (for messages users can compare with ssh-keygen). */
export function fingerprintText(hex: string): string {
  const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `SHA256:${btoa(bin).replace(/=+$/, "")}`;
}
