// End to end on the dev server: the healing workflow diagnoses with the LLM (a fake OpenAI
// server through the real SDK) or, without one, with the rules; an unhealed run notifies the
// admins exactly once at the fake Resend and Twilio servers; no planted secret reaches a
// request, a row or the workflow history.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmDiagnoser, type LlmDiagnoserHandle } from '../activities/llm-diagnosis.js';
import type { HealingSummary } from '../common/healing-contract.js';
import { getHealingEvents } from '../db/index.js';
import { getNotifications } from '../db/notifications.js';
import { startFakeOpenAi, type FakeOpenAi } from './support/fake-openai.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';
import { useTestSystem, type UsedTestSystem } from './support/use-test-system.js';
import { historyText } from './support/history-text.js';

const PASSWORD = 'hunter2-e2e-very-secret';
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJlMmUifQ.ZTJlLXNpZ25hdHVyZQ';
const CARD = '4111 1111 1111 1111';
const SECRETS = [PASSWORD, BEARER, CARD, '4111111111111111', 'ZTJlLXNpZ25hdHVyZQ'];
const UI = 'http://ui.e2e.test:8233';

let openai: FakeOpenAi;
let resend: FakeResend;
let twilio: FakeTwilio;
let llm: LlmDiagnoserHandle;

function notificationSettings() {
  return {
    temporalUiUrl: UI,
    email: { apiKey: 're_e2e', baseUrl: resend.url, from: 'alerts@example.com', to: ['ops@example.com'] },
    sms: {
      accountSid: `AC${'e2'.repeat(16)}`,
      authToken: 'tok',
      from: '+15550000000',
      to: ['+15551112222'],
      baseUrl: twilio.url,
    },
  };
}

beforeAll(async () => {
  [openai, resend, twilio] = await Promise.all([startFakeOpenAi(), startFakeResend(), startFakeTwilio()]);
  llm = createLlmDiagnoser({ apiKey: 'sk-e2e', baseURL: openai.baseURL, model: 'fake-model', timeoutMs: 5_000 });
});

afterAll(async () => {
  await Promise.all([openai?.close(), resend?.close(), twilio?.close()]);
});

const withLlm = useTestSystem(() => ({
  activities: { analysis: { llm: llm.diagnose }, notifications: notificationSettings() },
}));
const rulesOnly = useTestSystem(() => ({ activities: { notifications: notificationSettings() } }));

beforeEach(() => {
  openai.reset();
  resend.reset();
  twilio.reset();
});

/** An operation that always fails with secrets in its arguments and its message. */
function failingCharge(system: UsedTestSystem, operation: string) {
  return system.healer.withSelfHealing(
    operation,
    async (card: { number: string; password: string }) => {
      throw Object.assign(
        new Error(
          `payment gateway reset the connection (card ${card.number}, password=${card.password}, Authorization: Bearer ${BEARER})`,
        ),
        { code: 'ECONNRESET' },
      );
    },
    { allowedStrategies: ['RETRY_WITH_BACKOFF'], timing: { maximumAttempts: 2 } },
  );
}

async function runToEnd(call: Promise<unknown>): Promise<{ workflowId: string; summary: HealingSummary }> {
  const error = (await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (thrown: unknown) => thrown,
  )) as { healingWorkflowId?: string };
  expect(error.healingWorkflowId).toBeTruthy();
  const summary = (await withLlm.client.workflow.getHandle(error.healingWorkflowId!).result()) as HealingSummary;
  return { workflowId: error.healingWorkflowId!, summary };
}

describe('LLM diagnosis and notifications through the healing workflow', () => {
  it('records an LLM diagnosis and notifies the admins once about the unhealed run, without leaking secrets', async () => {
    openai.answerJson({
      category: 'network',
      severity: 'critical',
      transient: true,
      rootCause: 'The payment gateway keeps resetting connections.',
      recommendedStrategy: 'RETRY_WITH_BACKOFF',
      fallbackStrategies: null,
      confidence: 0.77,
      explanation: 'Connection resets are transient; retry with backoff.',
    });
    const charge = failingCharge(withLlm, 'e2e.llm.charge');
    const { workflowId, summary } = await runToEnd(charge({ number: CARD, password: PASSWORD }));

    expect(summary).toMatchObject({ result: 'failed', diagnosis: { source: 'llm', severity: 'critical' } });
    const { rows } = await getHealingEvents(withLlm.database.db, { operation: 'e2e.llm.charge' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ diagnosisSource: 'llm', severity: 'critical', result: 'failed' });

    expect(openai.completionRequests()).toHaveLength(1);
    // Critical and unhealed: one e-mail and one SMS, each with its idempotency key.
    expect(resend.delivered).toHaveLength(1);
    expect(resend.emailRequests()).toHaveLength(1);
    expect(resend.delivered[0]!.idempotencyKey).toBe(`${workflowId}:failed:email`);
    expect(resend.delivered[0]!.text).toContain(`${UI}/namespaces/default/workflows/${workflowId}`);
    expect(twilio.delivered).toHaveLength(1);
    const notifications = await getNotifications(withLlm.database.db, { workflowId });
    expect(notifications).toMatchObject([
      { notificationId: `${workflowId}:failed`, emailStatus: 'sent', smsStatus: 'sent' },
    ]);

    const everything = [
      ...openai.requests.map((request) => request.raw),
      ...resend.requests.map((request) => request.raw),
      ...twilio.requests.map((request) => request.raw),
      JSON.stringify(rows),
      JSON.stringify(notifications),
      await historyText(withLlm.client, workflowId),
    ].join('\n');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });

  it('records a rules diagnosis when no LLM is configured', async () => {
    const charge = failingCharge(rulesOnly, 'e2e.rules.charge');
    const { workflowId, summary } = await runToEnd(charge({ number: CARD, password: PASSWORD }));
    expect(summary).toMatchObject({ result: 'failed', diagnosis: { source: 'rules' } });
    const { rows } = await getHealingEvents(rulesOnly.database.db, { operation: 'e2e.rules.charge' });
    expect(rows[0]).toMatchObject({ diagnosisSource: 'rules' });
    expect(openai.requests).toHaveLength(0);
    // Not critical by the rules (network: medium): e-mail only.
    expect(resend.delivered).toHaveLength(1);
    expect(twilio.requests).toHaveLength(0);
    expect(await getNotifications(rulesOnly.database.db, { workflowId })).toMatchObject([
      { emailStatus: 'sent', smsStatus: 'skipped' },
    ]);
  });

  it('falls back to the rules inside the workflow when the LLM answers a disallowed strategy', async () => {
    openai.answerJson({
      category: 'network',
      severity: 'high',
      transient: true,
      rootCause: 'x',
      recommendedStrategy: 'SKIP_OPERATION',
      fallbackStrategies: null,
      confidence: 0.9,
      explanation: 'Skip it.',
    });
    const charge = failingCharge(withLlm, 'e2e.llm.disallowed');
    const { summary } = await runToEnd(charge({ number: CARD, password: PASSWORD }));
    expect(summary.diagnosis?.source).toBe('rules');
    expect(summary.attempts.map((attempt) => attempt.strategy)).toEqual(['RETRY_WITH_BACKOFF']);
    const { rows } = await getHealingEvents(withLlm.database.db, { operation: 'e2e.llm.disallowed' });
    expect(rows[0]).toMatchObject({ diagnosisSource: 'rules' });
  });
});
