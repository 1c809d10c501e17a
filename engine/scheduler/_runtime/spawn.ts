// Starts fire children as leaders of their own process group (through util-linux `setsid`, as external.process
// does, D16) so a shutdown can signal the child and everything it started, and relays their output by line.
import type { ChildHandle, SpawnRequest } from "../loop.ts";
import { descendants, signalPid } from "./proc_tree.ts";

const _SETSID = ["/usr/bin/setsid", "/bin/setsid"];

function _setsid(): string | undefined {
  for (const p of _SETSID) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Spawn `argv` in the CWD with the scheduler's env; each output line goes to `onLine`. */
export function spawnChild(req: SpawnRequest): ChildHandle {
  const setsid = _setsid();
  const [program, ...args] = setsid ? [setsid, "--wait", ...req.argv] : req.argv;
  const child = new Deno.Command(program as string, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pumps = [_pump(child.stdout, req.onLine), _pump(child.stderr, req.onLine)];
  const grouped = setsid !== undefined;
  return {
    pid: child.pid,
    // Wait for the pipes too, so the last lines are relayed before "finished" is logged.
    status: child.status.then(async (s) => {
      await Promise.allSettled(pumps);
      return s.signal ? 128 + (Deno.build.os === "linux" ? _signum(s.signal) : 0) : s.code;
    }),
    terminate() {
      signalPid(grouped ? -child.pid : child.pid, "SIGTERM");
    },
    kill() {
      const tree = descendants(child.pid);
      signalPid(grouped ? -child.pid : child.pid, "SIGKILL");
      for (const pid of tree) {
        signalPid(-pid, "SIGKILL");
        signalPid(pid, "SIGKILL");
      }
    },
  };
}

async function _pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  buf += decoder.decode();
  if (buf !== "") onLine(buf);
}

const _SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };

function _signum(signal: string): number {
  return _SIGNUMS[signal] ?? 0;
}
