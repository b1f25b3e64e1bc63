// The healing benchmarks' call: a wrapped operation whose next call fails once with a transient
// network error (always the same signature), so that the healing run's first re-run heals it.
import type { SelfHealing } from '../../client/self-healing.js';

export interface CallSample {
  /** Milliseconds from the call to the healed value in the caller's hands. */
  elapsed: number;
  /** Epoch ms of the call and of the healed value in hand (the server's events use the same clock). */
  at: number;
  end: number;
  /** The healing run that answered. */
  workflowId: string;
}

/** Registers `operation` (register before the app worker starts); each call of the result fails once and is healed. */
export function healedOnFirstRerun(healer: SelfHealing, operation: string): (id: number) => Promise<CallSample> {
  let failNext = false;
  let lastRun = '';
  healer.onCallOutcome((event) => {
    if (event.operation === operation) lastRun = event.healingWorkflowId ?? '';
  });
  const wrapped = healer.withSelfHealing(
    operation,
    async (id: number) => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error(`read ECONNRESET 10.0.${id % 250}.${id % 7}:443`), { code: 'ECONNRESET' });
      }
      return id;
    },
    // Heals checked for 1 ms: each fault comes after its predecessor's watch window, so the run plans
    // from what the client knows (inside a window, the analysis checks it against the last heal).
    { allowedStrategies: ['RETRY_WITH_BACKOFF'], recurrenceWindowMs: 1 },
  );
  return async (id) => {
    failNext = true;
    const at = Date.now();
    const started = performance.now();
    const value = await wrapped(id);
    const elapsed = performance.now() - started;
    if (value !== id) throw new Error(`call ${id} was not healed`);
    return { elapsed, at, end: at + elapsed, workflowId: lastRun };
  };
}
