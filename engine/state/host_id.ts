// The host id recorded with everything a process holds (docs/fleet.md "Host ids"): `AETHERFLOW_HOST_ID` when
// set (containers that share a host name, tests that play several hosts on one machine), else the host name.
import { hostName } from "./_runtime.ts";

/** This process's host id: locks, run leases, fires and run records name it; pid checks apply only to it. */
export function hostId(): string {
  return hostName();
}
