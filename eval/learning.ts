// The learning curve: one fault with exactly one working strategy, occurring again and again in
// sequence (each run closed, and learned from, before the next occurrence).
// The operation has two registered capabilities that fit a reset connection (an alternate
// endpoint and a resetConnection hook), so the first guess can be wrong.
//   Phase 1: the HTTP client's keep-alive pool goes stale before each occurrence: every request
//            over it is reset, on any endpoint, until the pool is recreated. Only RESET_CONNECTION
//            works (SWITCH_API_ENDPOINT, ranked before it, does not).
//   Phase 2: the primary endpoint goes down for good: a fresh pool no longer helps, the alternate
//            answers. The learned strategy stops working and SWITCH_API_ENDPOINT starts to.
// Measured from the run's attempt_log: which strategy each occurrence tried first, and the
// caller's waiting time spent in explored attempts (entries marked `explored: true`).
import type { Strategy } from '../common/types.js';
import type { AttemptLogEntry } from '../db/index.js';
import { currentEndpoint } from '../client/operation-context.js';
import { ALTERNATE, PRIMARY } from './faults.js';
import type { EvalSystem } from './system.js';

export interface Occurrence {
  phase: 1 | 2;
  tried: Strategy[];
  /** Attempts marked explored, and how long the failed ones took: waiting the caller owes to exploration. */
  explored: number;
  exploredMs: number;
  /** How long the failed attempts took. */
  failedMs: number;
  waitedMs: number;
  healed: boolean;
}

export interface LearningResult {
  occurrences: Occurrence[];
  working: Strategy;
  successor: Strategy;
  /** First occurrence (1-based) that tried the working strategy first; undefined: never. */
  firstTriedFirst?: number;
  /** % of phase-1 occurrences from the 3rd on that tried the working strategy first. */
  triedFirstFrom3rdPct: number;
  /** Attempts marked `explored` (both phases). */
  exploredAttempts: number;
  /** Waiting time in failed explored attempts / all waiting time (both phases), %. */
  explorationCostPct: number;
  /** Waiting time in failed attempts, occurrences from the 3rd on / all waiting time, phase 1, %. */
  failedAttemptsCostPct: number;
  /** Phase-2 occurrences that still tried the strategy that stopped working first, before the plan moved on. */
  occurrencesToMoveOn?: number;
  /** First phase-2 occurrence (1-based) that tried the new working strategy first. */
  successorTriedFirstAt?: number;
}

const WORKING: Strategy = 'RESET_CONNECTION';
const SUCCESSOR: Strategy = 'SWITCH_API_ENDPOINT';

export async function measureLearning(
  system: EvalSystem,
  { occurrences = 50, afterChange = 12, onOccurrence = (_: Occurrence, __: number) => {} } = {},
): Promise<LearningResult> {
  const operation = 'eval.learning.rates';
  const world = { phase: 1 as 1 | 2, seen: new Set<number>(), poolFresh: false };
  const fetchRates = system.healer.withSelfHealing(
    operation,
    async (n: number) => {
      if (!world.seen.has(n)) world.poolFresh = false; // a new occurrence: the pool went stale again
      world.seen.add(n);
      const fails = world.phase === 1 ? !world.poolFresh : currentEndpoint(PRIMARY) === PRIMARY;
      if (fails) throw resetByPeer();
      return `rates ${n}`;
    },
    // critical: no skip, whatever the default; the working strategy has to be found, not a degraded answer.
    {
      alternateEndpoints: [ALTERNATE],
      hooks: { resetConnection: () => void (world.poolFresh = true) },
      critical: true,
      timing: { maximumAttempts: 2, operationTimeoutMs: 5_000, queueDelayMs: 1_000 },
    },
  );
  const seen: Occurrence[] = [];
  for (let n = 0; n < occurrences + afterChange; n++) {
    if (n === occurrences) world.phase = 2;
    const started = performance.now();
    const healed = await fetchRates(n).then(
      () => true,
      () => false,
    );
    const waitedMs = performance.now() - started;
    const attempts = await closedRunAttempts(system, operation, n + 1);
    const occurrence: Occurrence = {
      phase: world.phase,
      tried: attempts.map((attempt) => attempt.strategy),
      explored: attempts.filter(isExplored).length,
      exploredMs: duration(attempts.filter((attempt) => isExplored(attempt) && attempt.result === 'failed')),
      failedMs: duration(attempts.filter((attempt) => attempt.result === 'failed')),
      waitedMs,
      healed,
    };
    seen.push(occurrence);
    onOccurrence(occurrence, n + 1);
  }
  return summarise(seen, occurrences);
}

/** One throw site: every occurrence has the same signature (message, code and stack). */
function resetByPeer(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

function duration(attempts: AttemptLogEntry[]): number {
  return attempts.reduce((sum, attempt) => sum + attempt.durationMs, 0);
}

function isExplored(attempt: AttemptLogEntry): boolean {
  return attempt.explored === true;
}

/** Waits for the `count`-th run of `operation` to close (so it has learned), then gives its attempts. */
async function closedRunAttempts(system: EvalSystem, operation: string, count: number): Promise<AttemptLogEntry[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const events = await system.eventsOf(operation);
    const event = events[count - 1];
    if (event?.workflowId) {
      await system.client.workflow
        .getHandle(event.workflowId)
        .result()
        .catch(() => undefined);
      return (await system.eventsOf(operation))[count - 1]!.attemptLog;
    }
    if (Date.now() > deadline)
      throw new Error(`the run of occurrence ${count} of ${operation} was not recorded within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function summarise(occurrences: Occurrence[], phaseOne: number): LearningResult {
  const before = occurrences.slice(0, phaseOne);
  const after = occurrences.slice(phaseOne);
  const triesFirst = (occurrence: Occurrence, strategy: Strategy) => occurrence.tried[0] === strategy;
  const from3rd = before.slice(2);
  const total = (list: Occurrence[], value: (o: Occurrence) => number) => list.reduce((sum, o) => sum + value(o), 0);
  const waited = total(before, (o) => o.waitedMs);
  const allWaited = total(occurrences, (o) => o.waitedMs);
  const firstTriedFirst = before.findIndex((o) => triesFirst(o, WORKING));
  const movedOn = after.findIndex((o) => !triesFirst(o, WORKING));
  const successorAt = after.findIndex((o) => triesFirst(o, SUCCESSOR));
  return {
    occurrences,
    working: WORKING,
    successor: SUCCESSOR,
    firstTriedFirst: firstTriedFirst < 0 ? undefined : firstTriedFirst + 1,
    triedFirstFrom3rdPct: (100 * from3rd.filter((o) => triesFirst(o, WORKING)).length) / Math.max(1, from3rd.length),
    exploredAttempts: total(occurrences, (o) => o.explored),
    explorationCostPct: (100 * total(occurrences, (o) => o.exploredMs)) / Math.max(1, allWaited),
    failedAttemptsCostPct: (100 * total(from3rd, (o) => o.failedMs)) / Math.max(1, waited),
    occurrencesToMoveOn: movedOn < 0 ? undefined : movedOn,
    successorTriedFirstAt: successorAt < 0 ? undefined : successorAt + 1,
  };
}
