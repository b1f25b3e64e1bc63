// Polling for what a test waits on (a row written, a run listed, a CLI answer).

/**
 * Calls `check` until it returns a value, every `intervalMs`; not a timing assertion: the deadline
 * only bounds a hang, and it fails with `what` it gave up waiting for.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  { deadlineMs = 120_000, intervalMs = 250 }: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
