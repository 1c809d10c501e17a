// Test certificates made with the `openssl` program: a CA and a leaf it signed, with IP and DNS SANs.
// Deno's fetch (rustls) rejects a self-signed CA:TRUE cert used as a server cert, hence CA + leaf.
import { join } from "node:path";

export interface TestCertificates {
  /** PEM of the CA: pin it (`Deno.createHttpClient({ caCerts: [caCert] })`, nodemailer `tls: { ca }`). */
  caCert: string;
  caCertPath: string;
  /** PEM leaf certificate (CN localhost; SANs below) and its unencrypted PKCS#8 key. */
  cert: string;
  certPath: string;
  key: string;
  keyPath: string;
}

export interface CertificateOptions {
  /** SANs: IPs and DNS names (default 127.0.0.1, ::1, localhost). */
  hosts?: string[];
  /** Days of validity of the leaf (default 2). */
  days?: number;
}

async function _openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Make a CA and a server leaf (EC P-256) into `dir`. */
export async function makeTestCertificates(
  dir: string,
  options: CertificateOptions = {},
): Promise<TestCertificates> {
  const hosts = options.hosts ?? ["127.0.0.1", "::1", "localhost"];
  const days = options.days ?? 2;
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await _openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "3",
    "-subj",
    "/CN=aetherflow test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await _openssl(["req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost"], dir);
  await Deno.writeTextFile(
    join(dir, "leaf.ext"),
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
  );
  await _openssl([
    "x509",
    "-req",
    "-in",
    "leaf.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "leaf.crt",
    "-days",
    String(days),
    "-extfile",
    "leaf.ext",
  ], dir);
  const read = (f: string) => Deno.readTextFile(join(dir, f));
  return {
    caCert: await read("ca.crt"),
    caCertPath: join(dir, "ca.crt"),
    cert: await read("leaf.crt"),
    certPath: join(dir, "leaf.crt"),
    key: await read("leaf.key"),
    keyPath: join(dir, "leaf.key"),
  };
}

let _shared: Promise<TestCertificates> | undefined;

/** One default set per test process (made once, removed when the process exits). */
export function testCertificates(): Promise<TestCertificates> {
  return _shared ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "af-certs-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
    return await makeTestCertificates(dir);
  })();
}
