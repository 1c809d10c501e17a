// The file system touch points of engine/history (STYLE: Deno.* in _runtime files).

/** Remove a tree. Missing is fine (false); any other failure throws, so the caller keeps the run's rows. */
export async function removeTreeStrict(path: string): Promise<boolean> {
  try {
    await Deno.remove(path, { recursive: true });
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
