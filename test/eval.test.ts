// The eval's fast subset (eval/corpus.ts rows marked quick), asserted: permanent errors, opted-in
// degraded answers, switch-before-retry, a registered capability, honest deadlines, a hostile LLM
// answer. The full measure is `npm run eval`; these scenarios run concurrently against the real system.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeConnection } from '@temporalio/worker';
import { selectScenarios } from '../eval/corpus.js';
import { runScenarios, type ScenarioResult } from '../eval/scenarios.js';
import { startEvalSystem, type EvalSystem } from '../eval/system.js';
import { connectNative } from './support/system.js';
import { connectToDevServer } from './support/temporal.js';

const QUICK = selectScenarios(true);
let connection: NativeConnection;
let system: EvalSystem;
const results = new Map<string, ScenarioResult>();

beforeAll(async () => {
  const dev = await connectToDevServer();
  connection = await connectNative(dev.address);
  system = await startEvalSystem({ client: dev.client, connection });
  for (const result of await runScenarios(system, QUICK, { concurrency: QUICK.length }))
    results.set(result.scenario.id, result);
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await connection?.close();
});

describe('healing decisions a user can trust (eval, fast subset)', () => {
  it.each(QUICK.map((scenario) => [scenario.id, scenario] as const))('%s', (id, scenario) => {
    const result = results.get(id)!;
    expect({ got: result.got, strategy: result.strategy }).toEqual({
      got: scenario.expect.outcome,
      strategy: scenario.expect.strategy,
    });
    expect(result.reruns).toBeLessThanOrEqual(scenario.expect.maxReruns);
    expect(result.runsAfterAnswer).toBe(0);
  });
});
