// The runner's only touch points with the OS: directories and the monotonic clock (STYLE: Deno.* in _runtime).

export async function makeDirs(path: string): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
}

/** Remove a tree; errors are ignored on purpose (docs/execution-model.md step 8: cleanup errors ignored). */
export async function removeTree(path: string): Promise<boolean> {
  try {
    await Deno.remove(path, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Monotonic milliseconds for durations (docs/observability.md). */
export function monotonicMs(): number {
  return performance.now();
}
