/**
 * Kubernetes `batch/v1` CronJob generation per item (docs/scheduling.md "Kubernetes CronJobs"). Pure: image,
 * namespace and container paths are inputs. Kubernetes starts the pods (`timeZone`, `concurrencyPolicy: Forbid`
 * for the overlap skip, `startingDeadlineSeconds` = the item's misfire grace); each pod runs `schedule fire`,
 * the same guard as the systemd units, which derives the run id `<item>-<slot UTC>` from the slot, so a
 * re-started pod of the same slot resumes that run instead of starting another.
 * @module
 */
import type { ScheduleItem } from "./parse_scheduler_yaml.ts";
import { DEFAULT_TIMEOUT_S } from "./parse_scheduler_yaml.ts";
import { runArgs } from "./run_args.ts";
import { DEFAULT_STOP_GRACE_S } from "./units.ts";

/** A JSON object as Kubernetes reads it (every manifest is plain data). */
export type Manifest = { [key: string]: ManifestValue };
type ManifestValue = string | number | boolean | null | ManifestValue[] | Manifest;

export interface CronJobOptions {
  /** Container image holding aetherflow and the flows. */
  readonly image: string;
  /** `metadata.namespace`; omitted = the namespace `kubectl apply` uses. */
  readonly namespace?: string;
  /** argv prefix that starts aetherflow inside the image (default `["aetherflow"]`). */
  readonly command?: readonly string[];
  /** The container's working directory; relative item paths are relative to it. */
  readonly workdir?: string;
  readonly timezone: string;
  /** `envFrom` Secrets (e.g. one holding `AETHERFLOW_STATE_URL`). */
  readonly envFromSecrets?: readonly string[];
  /** `envFrom` ConfigMaps. */
  readonly envFromConfigMaps?: readonly string[];
  readonly serviceAccountName?: string;
  /** `activeDeadlineSeconds` of items without `timeout` (default `DEFAULT_TIMEOUT_S`). */
  readonly defaultTimeoutS?: number;
  /** Seconds a run needs to stop after SIGTERM (`terminationGracePeriodSeconds` adds a margin). */
  readonly stopGraceS?: number;
  /** Shown in an annotation. */
  readonly source?: string;
}

/** A CronJob name cannot exceed 52 characters (Kubernetes appends 11 for each Job). */
export const CRONJOB_NAME_MAX = 52;
/** Where the guard keeps its per-item lock file inside the pod (overlap is Kubernetes' job: Forbid). */
export const POD_LOCK_DIR = "/tmp/aetherflow-locks";
/** Set in every pod: a skipped slot is then a documented success (exit 0), as when a timer starts a unit. */
export const TRIGGER_ENV = "TRIGGER_UNIT";
const _STOP_MARGIN_S = 10;

export class CronJobRenderError extends Error {
  override readonly name = "CronJobRenderError";
}

/**
 * The CronJob name of an item: `aetherflow-<id>` lower-cased, every run of other characters as one `-`
 * (a DNS-1123 label). Throws when nothing usable is left or it is longer than {@link CRONJOB_NAME_MAX}.
 */
export function cronJobName(itemId: string): string {
  const slug = itemId.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  if (slug === "") throw new CronJobRenderError(`item id ${JSON.stringify(itemId)} has no letter or digit`);
  const name = `aetherflow-${slug}`;
  if (name.length > CRONJOB_NAME_MAX) {
    throw new CronJobRenderError(
      `CronJob name ${name} is ${name.length} characters; Kubernetes allows ${CRONJOB_NAME_MAX}: shorten the item id`,
    );
  }
  return name;
}

/** One `batch/v1` CronJob for `item`. @throws {CronJobRenderError} */
export function renderCronJob(item: ScheduleItem, options: CronJobOptions): Manifest {
  const name = cronJobName(item.id);
  const labels: Manifest = {
    "app.kubernetes.io/name": "aetherflow",
    "app.kubernetes.io/component": "schedule-item",
    "app.kubernetes.io/instance": name,
  };
  const args = [
    ...(options.command ?? ["aetherflow"]),
    "schedule",
    "fire",
    "--item",
    item.id,
    "--cron",
    item.cron,
    "--tz",
    options.timezone,
    "--grace",
    String(item.misfireGraceTime),
    "--lock-dir",
    POD_LOCK_DIR,
    "--",
    ...runArgs(item),
  ];
  const envFrom: Manifest[] = [
    ...(options.envFromSecrets ?? []).map((s): Manifest => ({ secretRef: { name: s } })),
    ...(options.envFromConfigMaps ?? []).map((c): Manifest => ({ configMapRef: { name: c } })),
  ];
  const container: Manifest = {
    name: "aetherflow",
    image: options.image,
    command: args.slice(0, 1),
    args: args.slice(1),
    ...(options.workdir ? { workingDir: options.workdir } : {}),
    env: [
      { name: TRIGGER_ENV, value: `cronjob/${name}` },
      // Each pod is a host of its own for locks and run leases (docs/fleet.md "Host ids").
      { name: "AETHERFLOW_HOST_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    ],
    ...(envFrom.length > 0 ? { envFrom } : {}),
  };
  const stopGraceS = (options.stopGraceS ?? DEFAULT_STOP_GRACE_S) + _STOP_MARGIN_S;
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name,
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels,
      annotations: {
        "aetherflow/item-id": item.id,
        ...(options.source ? { "aetherflow/source": options.source } : {}),
      },
    },
    spec: {
      schedule: item.cron,
      timeZone: options.timezone,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: item.misfireGraceTime,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: {
          // A failed run is not retried by Kubernetes (as a failed unit is not restarted): the next slot runs.
          backoffLimit: 0,
          activeDeadlineSeconds: item.timeoutS ?? options.defaultTimeoutS ?? DEFAULT_TIMEOUT_S,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              terminationGracePeriodSeconds: stopGraceS,
              ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
              containers: [container],
            },
          },
        },
      },
    },
  };
}
