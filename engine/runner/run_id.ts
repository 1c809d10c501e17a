// Run ids (docs/execution-model.md step 5).

/** A new run id: the first 12 hex chars of a random UUIDv4, lower case (e.g. `6707262abe32`). */
export function newRunId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}
