// OpenSSH sshd from the Debian package with a private config on 127.0.0.1:<free port>, in the foreground:
// a chrooted password-only user and a key-only user, SFTP only (internal-sftp), ed25519 host key.
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { SftpInfo } from "./env.ts";
import type { StartContext, Started } from "./_context.ts";
import { run, spawnServer, tcpReady, waitReady, withFreePort } from "./_process.ts";

export const SFTP_PASSWORD_USER = "afsftp";
export const SFTP_KEY_USER = "afsftpkey";

/** sha256 of an OpenSSH public key's blob, as ssh2 (hex) and ssh-keygen (`SHA256:` base64) print it. */
export async function hostKeyHashes(publicKeyLine: string): Promise<{ hex: string; fingerprint: string }> {
  const blob = Buffer.from(publicKeyLine.trim().split(/\s+/)[1], "base64");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { hex, fingerprint: `SHA256:${Buffer.from(digest).toString("base64").replace(/=+$/, "")}` };
}

export async function startSshd(ctx: StartContext): Promise<Started<SftpInfo>> {
  const dir = join(ctx.scratch, "sshd");
  const pw = ctx.users[SFTP_PASSWORD_USER];
  const key = ctx.users[SFTP_KEY_USER];
  // ChrootDirectory must be root-owned and not group/world-writable, like every directory above it.
  const chroot = join(dir, "chroot");
  const pwHome = join(chroot, "data");
  const keyHome = join(dir, "keyhome");
  const keys = join(dir, "authorized_keys");
  await Deno.mkdir(pwHome, { recursive: true });
  await Deno.mkdir(keyHome, { recursive: true });
  await Deno.mkdir(keys, { recursive: true });
  await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation dir, compiled in
  await Deno.chmod(chroot, 0o755);
  await Deno.chown(pwHome, pw.uid, pw.gid);
  await Deno.chown(keyHome, key.uid, key.gid);
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const clientKey = join(dir, "client_ed25519");
  await Promise.all([
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "aetherflow-test-host", "-f", hostKey]),
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "aetherflow-test-client", "-f", clientKey]),
  ]);
  const authorizedKeysPath = join(keys, SFTP_KEY_USER);
  await Deno.copyFile(`${clientKey}.pub`, authorizedKeysPath);
  await Deno.chmod(authorizedKeysPath, 0o644);
  // Tests run as root and read the key; the key user never needs it.
  const hashes = await hostKeyHashes(await Deno.readTextFile(`${hostKey}.pub`));

  return await withFreePort(async (port) => {
    const config = join(dir, "sshd_config");
    await Deno.writeTextFile(
      config,
      [
        "ListenAddress 127.0.0.1",
        `Port ${port}`,
        `HostKey ${hostKey}`,
        "PidFile none",
        `AuthorizedKeysFile ${keys}/%u`,
        "UsePAM no", // password auth against /etc/shadow, no PAM session
        "StrictModes no",
        "PermitRootLogin no",
        `AllowUsers ${SFTP_PASSWORD_USER} ${SFTP_KEY_USER}`,
        "KbdInteractiveAuthentication no",
        "PasswordAuthentication no",
        "PubkeyAuthentication no",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "PermitTTY no",
        "MaxStartups 200",
        "MaxSessions 100",
        "LoginGraceTime 60",
        "LogLevel VERBOSE",
        "Subsystem sftp internal-sftp",
        `Match User ${SFTP_PASSWORD_USER}`,
        "  PasswordAuthentication yes",
        `  ChrootDirectory ${chroot}`,
        "  ForceCommand internal-sftp -d /data",
        `Match User ${SFTP_KEY_USER}`,
        "  PubkeyAuthentication yes",
        `  ForceCommand internal-sftp -d ${keyHome}`,
        "",
      ].join("\n"),
    );
    await run("/usr/sbin/sshd", ["-t", "-f", config]);
    const server = await spawnServer("sshd", {
      cmd: "/usr/sbin/sshd",
      args: ["-D", "-e", "-f", config],
      log: join(dir, "sshd.log"),
    }, { persistent: ctx.persistent });
    await waitReady(server, () => tcpReady(port, "SSH-2.0-"));
    const info: SftpInfo = {
      host: "127.0.0.1",
      port,
      hostKeySha256Hex: hashes.hex,
      hostKeyFingerprint: hashes.fingerprint,
      hostPublicKeyPath: `${hostKey}.pub`,
      passwordUser: {
        user: pw.name,
        password: pw.password,
        chroot,
        home: "/data",
        localHome: pwHome,
        uid: pw.uid,
        gid: pw.gid,
      },
      keyUser: {
        user: key.name,
        home: keyHome,
        localHome: keyHome,
        uid: key.uid,
        gid: key.gid,
        privateKeyPath: clientKey,
        publicKeyPath: `${clientKey}.pub`,
        authorizedKeysPath,
      },
    };
    return { info, servers: [server] };
  });
}
