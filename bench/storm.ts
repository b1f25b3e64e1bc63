// Benchmark 4: a storm. 10,000 calls of one wrapped operation fail with the same fault (its
// downstream is down) within 10 s. Healing (RETRY_WITH_BACKOFF, one attempt) cannot fix it, so
// every run fails and wants to alert. Counted: LLM calls (a fake OpenAI server behind the real
// diagnoser), e-mails (a fake Resend server behind the real notifier), healing runs started
// (bounded by the client's admission limits), events recorded (every failure: by its own run or
// by the occurrence log), peak memory of each process.
import { startFakeOpenAi, chatCompletion } from '../test/support/fake-openai.js';
import { startFakeResend } from '../test/support/fake-resend.js';
import { peakRssOf } from '../test/support/worker-process.js';
import type { WorkerTuning } from '../test/support/worker-entry.js';
import { startScenario, workflowTimes, type BenchEnvironment } from './lib/environment.js';

export interface StormResult {
  failures: number;
  generationSeconds: number;
  admission: { perSignature: number; total: number };
  /** update-with-start RPCs of the callers: answered, failed (by reason), still pending at the end. */
  startRpcs: { answered: number; failed: Record<string, number>; pending: number };
  /** Failures with no healing_events row: failures − events recorded. */
  lost: number;
  /** How long after the last failure the figures were taken (all runs closed, every failure recorded; or the cap). */
  settleSeconds: number;
  settledCleanly: boolean;
  callerOutcomes: Record<string, number>;
  /** Healing runs started (one per admitted failure) and completed. */
  workflowsStarted: number;
  workflowsCompleted: number;
  /** Occurrence log runs (one per signature, plus continue-as-new). */
  occurrenceLogRuns: number;
  eventsByResult: Record<string, number>;
  /** From the first failure to the last healing run closed. */
  drainSeconds: number;
  eventsRecorded: number;
  eventsComplete: number;
  diagnosisSources: Record<string, number>;
  llmCalls: number;
  llmBudgetPerHour: number;
  emailsSent: number;
  notificationDecisions: Record<string, number>;
  peakRssBytes: Record<string, number>;
}

const LLM_ANSWER = {
  category: 'network',
  severity: 'high',
  transient: true,
  rootCause: 'The payment gateway refuses connections.',
  recommendedStrategy: 'RETRY_WITH_BACKOFF',
  fallbackStrategies: null,
  confidence: 0.8,
  explanation: 'Connection refused by the gateway; retry with backoff.',
};

/** The client's defaults (client/healing-admission.ts), spelled out for the report. */
const ADMISSION = { perSignature: 50, total: 500 };

export async function benchStorm(
  env: BenchEnvironment,
  options: {
    failures: number;
    withinSeconds: number;
    workers?: number;
    tuning?: WorkerTuning;
    llmCallsPerHour?: number;
    settleCapMs?: number;
  },
): Promise<StormResult> {
  const openai = await startFakeOpenAi();
  openai.setDefault(() => ({ kind: 'json', body: chatCompletion(JSON.stringify(LLM_ANSWER)) }));
  const resend = await startFakeResend();
  const llmBudgetPerHour = options.llmCallsPerHour ?? 100_000;
  const scenario = await startScenario(env, {
    env: {
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_TIMEOUT_MS: '5000',
      LLM_CALLS_PER_HOUR: String(llmBudgetPerHour),
      RESEND_API_KEY: 're_bench',
      RESEND_BASE_URL: resend.url,
      ADMIN_EMAILS: 'ops@example.com',
    },
    // Callers give up waiting after 2 s (the storm would otherwise hold 10,000 callers for 30 s).
    healer: { waitForHealingMs: 2_000, admission: ADMISSION },
  });
  const peaks: Record<string, number> = {};
  const samplePeaks = () => {
    peaks['application (this process)'] = process.resourceUsage().maxRSS * 1024;
    const server = peakRssOf(env.devServer.process.pid!);
    if (server) peaks['Temporal dev server'] = server;
    scenario.workers.forEach((worker, index) => {
      const rss = worker.peakRss();
      if (rss) peaks[`central worker ${index + 1}`] = rss;
    });
  };
  const sampler = setInterval(samplePeaks, 250);
  try {
    const charge = scenario.healer.withSelfHealing(
      'bench.storm.charge',
      async (orderId: number) => {
        throw Object.assign(new Error(`connect ECONNREFUSED 10.9.8.7:443 while charging order ${orderId}`), {
          code: 'ECONNREFUSED',
        });
      },
      { allowedStrategies: ['RETRY_WITH_BACKOFF'], timing: { maximumAttempts: 1 } },
    );
    await scenario.startAppWorker();
    await scenario.startWorkers(options.workers ?? 1, { tuning: options.tuning });

    // Diagnostics only: what became of each caller's update-with-start RPC (the caller itself
    // stops waiting at its deadline, the RPC does not).
    const rpcs = { sent: 0, answered: 0, failed: {} as Record<string, number> };
    const workflowClient = env.client.workflow as unknown as {
      executeUpdateWithStart: (...args: unknown[]) => Promise<unknown>;
    };
    const original = workflowClient.executeUpdateWithStart.bind(workflowClient);
    workflowClient.executeUpdateWithStart = (...args: unknown[]) => {
      rpcs.sent++;
      return original(...args).then(
        (value) => {
          rpcs.answered++;
          return value;
        },
        (error: { name?: string; message?: string; cause?: { message?: string } }) => {
          const reason = `${error?.name ?? 'Error'}: ${String(error?.cause?.message ?? error?.message).slice(0, 120)}`;
          rpcs.failed[reason] = (rpcs.failed[reason] ?? 0) + 1;
          throw error;
        },
      );
    };

    // The storm: failures spread evenly over `withinSeconds`, each an ordinary caller.
    const outcomes: Record<string, number> = {};
    const calls: Array<Promise<void>> = [];
    const started = performance.now();
    const stormStartedAt = Date.now();
    const ticks = Math.max(1, Math.round(options.withinSeconds * 100));
    for (let tick = 0; tick < ticks; tick++) {
      const from = Math.floor((tick * options.failures) / ticks);
      const to = Math.floor(((tick + 1) * options.failures) / ticks);
      for (let id = from; id < to; id++) {
        calls.push(
          charge(id).then(
            () => void (outcomes.healed = (outcomes.healed ?? 0) + 1),
            (error: { healingOutcome?: string }) => {
              const key = error.healingOutcome ?? 'no healing';
              outcomes[key] = (outcomes[key] ?? 0) + 1;
            },
          ),
        );
      }
      const due = started + ((tick + 1) * options.withinSeconds * 1000) / ticks;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const generationSeconds = (performance.now() - started) / 1000;
    await Promise.all(calls);
    // Settle: every healing run closed, no start RPC pending and every failure recorded — or give up after settleCapMs.
    const settleStarted = performance.now();
    const pending = () => rpcs.sent - rpcs.answered - Object.values(rpcs.failed).reduce((sum, n) => sum + n, 0);
    const pool = scenario.database.pool;
    const recorded = async () =>
      Number((await pool.query<{ n: string }>(`select count(*) as n from healing_events`)).rows[0]!.n);
    const healingRuns = `TaskQueue = "${scenario.taskQueue}" AND WorkflowType = "healingWorkflow"`;
    let settledCleanly = false;
    while (performance.now() - settleStarted < (options.settleCapMs ?? 20 * 60_000)) {
      const { count: total } = await env.client.workflow.count(healingRuns);
      const { count: closed } = await env.client.workflow.count(`${healingRuns} AND ExecutionStatus != "Running"`);
      if (pending() === 0 && closed >= total && (await recorded()) >= options.failures) {
        settledCleanly = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    const settleSeconds = (performance.now() - settleStarted) / 1000;
    const allRuns = await workflowTimes(env.client, scenario.taskQueue);
    const times = allRuns.filter((run) => run.type === 'healingWorkflow');
    samplePeaks();
    const events = await pool.query<{ result: string; n: string }>(
      `select result, count(*) as n from healing_events group by 1`,
    );
    const eventsByResult = Object.fromEntries(events.rows.map((row) => [row.result, Number(row.n)]));
    const eventsRecorded = Object.values(eventsByResult).reduce((sum, n) => sum + n, 0);
    const sources = await pool.query<{ source: string | null; n: string }>(
      `select diagnosis_source as source, count(*) as n from healing_events group by 1`,
    );
    const decisions = await pool.query<{ decision: string; n: string }>(
      `select decision, count(*) as n from notifications group by 1`,
    );
    return {
      failures: options.failures,
      generationSeconds,
      admission: ADMISSION,
      startRpcs: { answered: rpcs.answered, failed: rpcs.failed, pending: pending() },
      lost: options.failures - eventsRecorded,
      settleSeconds,
      settledCleanly,
      callerOutcomes: outcomes,
      workflowsStarted: times.length,
      workflowsCompleted: times.filter((time) => time.status === 'COMPLETED').length,
      occurrenceLogRuns: allRuns.filter((run) => run.type === 'occurrenceLogWorkflow').length,
      eventsByResult,
      drainSeconds: (Math.max(...times.map((time) => time.close ?? 0)) - stormStartedAt) / 1000,
      eventsRecorded,
      eventsComplete: eventsRecorded - (eventsByResult.pending ?? 0),
      diagnosisSources: Object.fromEntries(sources.rows.map((row) => [row.source ?? 'none', Number(row.n)])),
      llmCalls: openai.completionRequests().length,
      llmBudgetPerHour,
      emailsSent: resend.delivered.length,
      notificationDecisions: Object.fromEntries(decisions.rows.map((row) => [row.decision, Number(row.n)])),
      peakRssBytes: { ...peaks },
    };
  } finally {
    clearInterval(sampler);
    await scenario.close();
    await openai.close();
    await resend.close();
  }
}
