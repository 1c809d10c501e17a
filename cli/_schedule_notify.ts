// `aetherflow schedule notify FLOW --to ADDR… [--resource NAME] [--unit UNIT]` (docs/scheduling.md "Failure
// notification"): what `aetherflow-notify@.service` runs with `schedule systemd --notify-mail`: one plain-text
// mail through a `mail` resource of FLOW, saying which unit failed on which host. Exit 0 sent, 1 the send
// failed, 2 invalid input (flow, resource, arguments). Nothing is written: no state DB, no run.
import { hostname } from "node:os";
import { errorMessage, EXIT, type ExitCode, UsageError } from "../engine/errors.ts";
import { formatReportText } from "../engine/flow/mod.ts";
import type { PreparedFlow } from "../compose/mod.ts";
import { openFlowResource } from "./_connect.ts";

export interface NotifyMailOptions {
  resource?: string;
  to: string[];
  unit?: string;
  envFile?: string[];
}

/** The `mail` resource of the flow to send with: `wanted`, else the only one. Throws UsageError. */
export function notifyMailResource(prepared: PreparedFlow, wanted: string | undefined): string {
  const resources = prepared.report.flow?.resources ?? {};
  const where = prepared.flowPath;
  if (wanted !== undefined) {
    const spec = resources[wanted];
    if (!spec) {
      throw new UsageError(
        `No resource '${wanted}' in ${where}. Declared: ${JSON.stringify(Object.keys(resources))}`,
      );
    }
    if (spec.kind !== "mail") {
      throw new UsageError(`Resource '${wanted}' in ${where} is kind ${spec.kind}, not mail`);
    }
    return wanted;
  }
  const mail = Object.entries(resources).filter(([, s]) => s.kind === "mail").map(([n]) => n);
  if (mail.length === 1) return mail[0]!;
  throw new UsageError(
    mail.length === 0
      ? `No mail resource in ${where}: declare one (kind: mail, driver: smtp)`
      : `Several mail resources in ${where} (${mail.join(", ")}): choose one with --resource`,
  );
}

/** Subject and body of the failure mail. */
export function failureMessage(unit: string, host: string, at: Date): { subject: string; body: string } {
  return {
    subject: `[aetherflow] ${unit} failed on ${host}`,
    body: [
      `The systemd unit ${unit} failed on ${host} at ${at.toISOString()}.`,
      "",
      `Its log:   journalctl -u ${unit} --since "${at.toISOString().slice(0, 10)}"`,
      `Its state: systemctl status ${unit}`,
      "",
      "Sent by aetherflow-notify@.service (aetherflow schedule notify).",
      "",
    ].join("\n"),
  };
}

export async function scheduleNotify(flow: string, opts: NotifyMailOptions): Promise<ExitCode> {
  const unit = (opts.unit ?? Deno.env.get("AETHERFLOW_FAILED_UNIT") ?? "").trim();
  if (unit === "") {
    throw new UsageError(
      "schedule notify needs --unit or AETHERFLOW_FAILED_UNIT (set by aetherflow-notify@)",
    );
  }
  if (opts.to.length === 0) throw new UsageError("schedule notify needs at least one --to address");
  const host = (Deno.env.get("AETHERFLOW_HOST") ?? "").trim() || hostname();
  const { prepareFlow } = await import("../compose/mod.ts");
  const prepared = await prepareFlow(flow, { log: (line) => console.error(line), envFiles: opts.envFile });
  try {
    const { report, masker } = prepared;
    if (!report.ok || !report.flow) {
      console.error(masker.mask(formatReportText(report)));
      return EXIT.INVALID;
    }
    const name = notifyMailResource(prepared, opts.resource);
    const { subject, body } = failureMessage(unit, host, new Date());
    let opened: Awaited<ReturnType<typeof openFlowResource>>;
    try {
      opened = await openFlowResource(prepared, name, (msg) => console.error(masker.mask(`WARNING ${msg}`)));
    } catch (err) {
      console.error(masker.mask(`ERROR schedule notify: resource ${name}: ${errorMessage(err)}`));
      return EXIT.INVALID;
    }
    try {
      const mail = await opened.accessor.mail(name);
      await mail.send_plaintext({ to: opts.to, subject, body });
    } catch (err) {
      console.error(masker.mask(`ERROR schedule notify: resource ${name}: ${errorMessage(err)}`));
      return EXIT.FAILED;
    } finally {
      await opened.close();
    }
    console.error(
      masker.mask(`notify: mail about ${unit} sent to ${opts.to.length} recipient(s) via ${name}`),
    );
    return EXIT.OK;
  } finally {
    await prepared.close();
  }
}
