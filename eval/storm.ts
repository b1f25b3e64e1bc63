// The storm: many concurrent failures of one signature that one re-run heals (each caller's
// first call fails, its re-run answers). Measured: how many callers get their value, whether
// every failure is in healing_events with the outcome its caller really got, how many times the
// LLM was asked and how many alerts went out.
import type { HealingAnnotations } from '../client/self-healing.js';
import { HEALING_RESULTS, type HealingResult } from '../common/types.js';
import { sleep } from './scenarios.js';
import type { EvalSystem } from './system.js';

export interface StormResult {
  callers: number;
  /** Callers that got their value. */
  values: number;
  /** Callers that got an error, by its healingOutcome annotation. */
  errors: Record<string, number>;
  /** healing_events rows of the storm, by result. */
  recorded: Partial<Record<HealingResult, number>>;
  /** Every caller recorded, healed rows = callers with a value, the others = callers with an error. */
  recordedTruthfully: boolean;
  llmCalls: number;
  alerts: number;
  /** From the first call to the last caller's answer. */
  answeredSeconds: number;
  /** Until every failure was recorded with an outcome (or the cap). */
  settledSeconds: number;
}

const SETTLE_CAP_MS = 180_000;

export async function measureStorm(system: EvalSystem, { callers = 2_000 } = {}): Promise<StormResult> {
  const operation = 'eval.storm.quote';
  const failedOnce = new Set<number>();
  const quote = system.healer.withSelfHealing(operation, async (n: number) => {
    if (!failedOnce.has(n)) {
      failedOnce.add(n);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
    return `quote ${n}`;
  });
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: callers }, (_, n) =>
      quote(n).then(
        (value) => (value === `quote ${n}` ? 'value' : 'other value'),
        (error: HealingAnnotations | undefined) => `error: ${error?.healingOutcome ?? 'no healing'}`,
      ),
    ),
  );
  const answeredSeconds = (performance.now() - started) / 1000;
  await system.healer.flushOccurrences();
  const recorded = await settledRecords(system, operation, callers);
  const settledSeconds = (performance.now() - started) / 1000;
  await sleep(2_000); // alerts go out after the records
  const values = answers.filter((answer) => answer === 'value').length;
  const errors: Record<string, number> = {};
  for (const answer of answers.filter((a) => a.startsWith('error: '))) {
    const outcome = answer.slice('error: '.length);
    errors[outcome] = (errors[outcome] ?? 0) + 1;
  }
  const rows = Object.values(recorded).reduce((sum, n) => sum + n, 0);
  const errorCount = Object.values(errors).reduce((sum, n) => sum + n, 0);
  return {
    callers,
    values,
    errors,
    recorded,
    recordedTruthfully:
      rows === callers && (recorded.healed ?? 0) === values && rows - (recorded.healed ?? 0) === errorCount,
    llmCalls: system.openai.completionRequests().length,
    alerts: system.alertsSent(),
    answeredSeconds,
    settledSeconds,
  };
}

/** Rows by result once `callers` rows have an outcome, or as they are at the cap. */
async function settledRecords(
  system: EvalSystem,
  operation: string,
  callers: number,
): Promise<Partial<Record<HealingResult, number>>> {
  const deadline = Date.now() + SETTLE_CAP_MS;
  for (;;) {
    const counts: Partial<Record<HealingResult, number>> = {};
    for (const result of HEALING_RESULTS) {
      const n = await system.countEvents(operation, result);
      if (n > 0) counts[result] = n;
    }
    const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
    if ((total >= callers && !counts.pending) || Date.now() > deadline) return counts;
    await sleep(1_000);
  }
}
