// The system the eval measures, as production wires it: the central worker (workers/worker.ts)
// with the LLM diagnoser and the admin notifications built from environment configuration
// (OPENAI_*, RESEND_*, TWILIO_*) as workers/main.ts does, an application worker, a fresh
// PostgreSQL database, and fake OpenAI, Resend and Twilio servers behind the real SDKs. The
// fake LLM answers per operation (a scenario scripts it); unscripted, it finds no fitting
// strategy, so the rules decide.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { llmDiagnoserFromConfig } from '../activities/llm-diagnosis.js';
import { notificationSettingsFromConfig } from '../activities/notifications/index.js';
import type { SelfHealing, SelfHealingOptions } from '../client/self-healing.js';
import { countHealingEvents, getHealingEvents, type HealingEventRow } from '../db/index.js';
import { loadConfig } from '../lib/config.js';
import { chatCompletion, startFakeOpenAi, type FakeOpenAi } from '../test/support/fake-openai.js';
import type { RecordedRequest, ScriptedReply } from '../test/support/fake-http.js';
import { startFakeResend } from '../test/support/fake-resend.js';
import { startFakeTwilio } from '../test/support/fake-twilio.js';
import { NO_STRATEGY_ANSWER } from '../test/support/fault-harness.js';
import { startTestSystem, type TestSystem } from '../test/support/system.js';
import type { LlmReply } from './corpus.js';

export interface EvalSystem {
  healer: SelfHealing;
  client: Client;
  taskQueue: string;
  openai: FakeOpenAi;
  /** Scripts the LLM's answer about errors of `operation`. */
  scriptLlm(operation: string, reply: LlmReply): void;
  /** Healing events of `operation`, oldest first. */
  eventsOf(operation: string): Promise<HealingEventRow[]>;
  /** Events of `operation` (with `result`, when given). */
  countEvents(operation: string, result?: HealingEventRow['result']): Promise<number>;
  /** E-mails and SMS delivered to the admins. */
  alertsSent(): number;
  stop(): Promise<void>;
}

export async function startEvalSystem(options: {
  client: Client;
  connection: NativeConnection;
  healer?: Omit<SelfHealingOptions, 'taskQueue' | 'appTaskQueue'>;
}): Promise<EvalSystem> {
  const [openai, resend, twilio] = await Promise.all([startFakeOpenAi(), startFakeResend(), startFakeTwilio()]);
  const scripts = new Map<string, LlmReply>();
  openai.setDefault((request) => llmReplyFor(scripts.get(operationAsked(request))));
  const config = loadConfig({
    OPENAI_API_KEY: 'sk-eval',
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_TIMEOUT_MS: '10000',
    LLM_CALLS_PER_HOUR: '100000',
    RESEND_API_KEY: 're_eval',
    RESEND_BASE_URL: resend.url,
    ADMIN_EMAILS: 'ops@example.com',
    TWILIO_ACCOUNT_SID: `AC${'e7'.repeat(16)}`,
    TWILIO_AUTH_TOKEN: 'eval-token',
    TWILIO_FROM_NUMBER: '+15550000000',
    TWILIO_BASE_URL: twilio.url,
    ADMIN_PHONES: '+15551112222',
  });
  let system: TestSystem;
  try {
    system = await startTestSystem({
      client: options.client,
      connection: options.connection,
      healer: options.healer,
      activities: (db) => ({
        analysis: { llm: llmDiagnoserFromConfig(config, { db }).handle?.diagnose },
        notifications: notificationSettingsFromConfig(config),
      }),
    });
  } catch (error) {
    await Promise.all([openai.close(), resend.close(), twilio.close()]);
    throw error;
  }
  const db = system.database.db;
  return {
    healer: system.healer,
    client: options.client,
    taskQueue: system.taskQueue,
    openai,
    scriptLlm: (operation, reply) => void scripts.set(operation, reply),
    async eventsOf(operation) {
      const { rows } = await patiently(() => getHealingEvents(db, { operation, limit: 1_000 }));
      return rows.reverse();
    },
    async countEvents(operation, result) {
      return patiently(() => countHealingEvents(db, { operation, result }));
    },
    alertsSent: () => resend.delivered.length + twilio.delivered.length,
    async stop() {
      await system.healer.flushOccurrences();
      await terminateRunning(options.client, system.taskQueue);
      await system.stop();
      await Promise.all([openai.close(), resend.close(), twilio.close()]);
    },
  };
}

/**
 * The eval's reads share the system's pool: on a loaded machine one may wait too long for a
 * connection. A read that fails is tried again (five times), so one slow poll is not a broken part.
 */
async function patiently<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/**
 * Runs still waiting (a queued call, a long Retry-After) are ended, so no caller's update is left
 * pending on a connection that is about to close.
 */
async function terminateRunning(client: Client, taskQueue: string): Promise<void> {
  const running: Array<Promise<unknown>> = [];
  for await (const run of client.workflow.list({
    query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`,
  })) {
    running.push(
      client.workflow
        .getHandle(run.workflowId)
        .terminate('eval finished')
        .catch(() => undefined),
    );
  }
  await Promise.all(running);
}

/** The operation named in the diagnosis prompt (activities/llm-diagnosis.ts sends it as JSON). */
function operationAsked(request: RecordedRequest): string {
  const messages =
    (request.body as { messages?: Array<{ role: string; content: unknown }> } | undefined)?.messages ?? [];
  const user = messages.find((message) => message.role === 'user');
  try {
    return String((JSON.parse(String(user?.content)) as { operation?: unknown }).operation ?? '');
  } catch {
    return '';
  }
}

function llmReplyFor(reply: LlmReply | undefined): ScriptedReply {
  if (reply && 'raw' in reply) return { kind: 'json', body: chatCompletion(reply.raw) };
  return { kind: 'json', body: chatCompletion(JSON.stringify(reply?.json ?? NO_STRATEGY_ANSWER)) };
}
