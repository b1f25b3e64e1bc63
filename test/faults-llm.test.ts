// Fault: the LLM endpoint hangs or answers garbage, end to end through the healing workflow.
// test/llm-diagnosis.test.ts covers the diagnoser's own fallbacks call by call; here the
// configured diagnoser (llmDiagnoserFromConfig, OPENAI_TIMEOUT_MS = 1.5 s) runs inside the
// analysis activity on the dev server: the run falls back to the rules within the diagnoser's
// bound (its first attempt: no activity timeout, no retry), heals, and records source "rules";
// a storm of one new signature while the LLM hangs costs one request.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { llmDiagnoserFromConfig, type LlmOutcome } from '../activities/llm-diagnosis.js';
import { getHealingEvents, type Database } from '../db/index.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { useTestSystem } from './support/use-test-system.js';

const TIMEOUT_MS = 1_500;
let openai: FakeOpenAi;
const outcomes: LlmOutcome[] = [];

beforeAll(async () => {
  openai = await startFakeOpenAi();
});

afterAll(async () => {
  await openai?.close();
});

const system = useTestSystem({
  activities: (db: Database) => {
    const llm = llmDiagnoserFromConfig(
      {
        OPENAI_API_KEY: 'sk-faults',
        OPENAI_BASE_URL: openai.baseURL,
        OPENAI_MODEL: 'fake-model',
        OPENAI_TIMEOUT_MS: TIMEOUT_MS,
        LLM_CALLS_PER_HOUR: 1_000,
      },
      { db, onOutcome: (outcome) => outcomes.push(outcome) },
    );
    if (!llm.handle) throw new Error(`no LLM diagnoser: ${llm.reason}`);
    return { analysis: { llm: llm.handle.diagnose } };
  },
});

beforeEach(() => {
  openai.reset();
  outcomes.length = 0;
});

/** An operation whose first call fails with a transient network error and whose re-run succeeds. */
function flaky(operation: string) {
  const failed = new Set<number>();
  return system.healer.withSelfHealing(
    operation,
    async (id: number) => {
      if (!failed.has(id)) {
        failed.add(id);
        throw Object.assign(new Error(`read ECONNRESET 10.7.0.${id}:443`), { code: 'ECONNRESET' });
      }
      return `ok ${id}`;
    },
    { allowedStrategies: ['RETRY_WITH_BACKOFF'] },
  );
}

/** The analysis local activity's attempt number, from the marker it left in the history. */
async function analysisAttempts(workflowId: string): Promise<number[]> {
  const history = await system.client.workflow.getHandle(workflowId).fetchHistory();
  const attempts: number[] = [];
  for (const event of history.events ?? []) {
    const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    if (!data) continue;
    const marker = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string; attempt?: number };
    if (marker.activity_type === 'analyseError') attempts.push(marker.attempt ?? 0);
  }
  return attempts;
}

async function settled(operation: string, expected: number) {
  const { rows } = await getHealingEvents(system.database.db, { operation });
  expect(rows).toHaveLength(expected);
  await Promise.all(rows.map((row) => system.client.workflow.getHandle(row.workflowId!).result()));
  return (await getHealingEvents(system.database.db, { operation })).rows;
}

describe('the LLM endpoint misbehaves during a healing run', () => {
  it('hangs: the diagnosis falls back to the rules at the configured deadline, and the call is healed', async () => {
    openai.hang();
    await expect(flaky('faults.llm.hang')(1)).resolves.toBe('ok 1');
    const [event] = await settled('faults.llm.hang', 1);
    expect(event).toMatchObject({ diagnosisSource: 'rules', result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    expect(openai.completionRequests()).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['timeout']);
    // Bounded by the diagnoser's own deadline: the activity ran once, no activity timeout or retry.
    expect(await analysisAttempts(event!.workflowId!)).toEqual([1]);
  });

  it('answers garbage: the diagnosis falls back to the rules, and the call is healed', async () => {
    openai.garbage('<html><body>502 Bad Gateway</body></html>', 200);
    await expect(flaky('faults.llm.garbage')(2)).resolves.toBe('ok 2');
    const [event] = await settled('faults.llm.garbage', 1);
    expect(event).toMatchObject({ diagnosisSource: 'rules', result: 'healed', strategy: 'RETRY_WITH_BACKOFF' });
    expect(openai.completionRequests()).toHaveLength(1);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.status).not.toBe('used');
    expect(await analysisAttempts(event!.workflowId!)).toEqual([1]);
  });

  it('answers truncated JSON that looks right: the rules decide', async () => {
    openai.answer('{"category":"network","severity":"high","transient":true,"rootCause":"gatew');
    await expect(flaky('faults.llm.truncated')(3)).resolves.toBe('ok 3');
    const [event] = await settled('faults.llm.truncated', 1);
    expect(event).toMatchObject({ diagnosisSource: 'rules', result: 'healed' });
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['invalid']);
  });

  it('hangs during a storm of one new signature: one request, every occurrence diagnosed by the rules and healed', async () => {
    openai.setDefault(() => ({ kind: 'hang' }));
    try {
      const call = flaky('faults.llm.storm');
      const ids = Array.from({ length: 20 }, (_, index) => 100 + index);
      await expect(Promise.all(ids.map((id) => call(id)))).resolves.toEqual(ids.map((id) => `ok ${id}`));
      const events = await settled('faults.llm.storm', ids.length);
      expect(new Set(events.map((event) => event.signature)).size).toBe(1);
      expect(events.every((event) => event.result === 'healed')).toBe(true);
      expect(events.every((event) => event.diagnosisSource === 'rules' || event.diagnosisSource === 'pattern')).toBe(
        true,
      );
      expect(openai.completionRequests()).toHaveLength(1);
    } finally {
      openai.setDefault(() => ({ kind: 'json', status: 500, body: { error: { message: 'no answer scripted' } } }));
    }
  });
});
