// Benchmark 5: health-check cycle time. One run of the health-check workflow (what the schedule
// starts) against a central worker process whose configured services are fake servers that
// answer at once: the LLM API, Resend, Twilio, a file service and two HTTP checks, plus the
// built-in database, error-rate and memory checks. Then the same with one HTTP check hung
// (never answers; bounded by its timeout).
import { randomUUID } from 'node:crypto';
import { startFakeHttpServer, type FakeHttpServer } from '../test/support/fake-http.js';
import { startFakeOpenAi } from '../test/support/fake-openai.js';
import { startFakeResend } from '../test/support/fake-resend.js';
import { startFakeTwilio } from '../test/support/fake-twilio.js';
import { healthCheckWorkflow, type HealthCheckSummary } from '../workflows/health-check.js';
import { startScenario, type BenchEnvironment } from './lib/environment.js';
import { median, percentile } from './lib/stats.js';

export interface HealthCycle {
  label: string;
  cycles: number;
  medianMs: number;
  p95Ms: number;
  overall: Record<string, number>;
  checks: number;
  /** The slowest check's reported latency in the median cycle. */
  slowestCheck: string;
}

export interface HealthResult {
  hungCheckTimeoutMs: number;
  healthy: HealthCycle;
  oneHung: HealthCycle;
}

const TWILIO_SID = 'AC00000000000000000000000000000000';

export async function benchHealth(
  env: BenchEnvironment,
  options: { cycles: number; hungTimeoutMs?: number },
): Promise<HealthResult> {
  const hungTimeoutMs = options.hungTimeoutMs ?? 1_000;
  const openai = await startFakeOpenAi();
  const resend = await startFakeResend();
  const twilio = await startFakeTwilio();
  const ok = () => ({ kind: 'json' as const, body: { ok: true } });
  const files = await startFakeHttpServer(ok);
  const inventory = await startFakeHttpServer(ok);
  let hang = false;
  const search: FakeHttpServer = await startFakeHttpServer(() => (hang ? { kind: 'hang' } : ok()));
  const scenario = await startScenario(env, {
    env: {
      OPENAI_API_KEY: 'sk-bench',
      OPENAI_BASE_URL: openai.baseURL,
      RESEND_API_KEY: 're_bench',
      RESEND_BASE_URL: resend.url,
      ADMIN_EMAILS: 'ops@example.com',
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: 'bench-token',
      TWILIO_FROM_NUMBER: '+15550001111',
      TWILIO_BASE_URL: twilio.url,
      ADMIN_PHONES: '+15550002222',
      FILE_SERVICE_HEALTH_URL: `${files.url}/health`,
      HEALTH_CHECK_TIMEOUT_MS: '5000',
      HEALTH_HTTP_CHECKS: JSON.stringify([
        { name: 'inventory', url: `${inventory.url}/health` },
        { name: 'search', url: `${search.url}/health`, timeoutMs: hungTimeoutMs },
      ]),
    },
  });
  try {
    await scenario.startWorkers(1);
    const cycle = async (label: string): Promise<HealthCycle> => {
      const durations: number[] = [];
      const overall: Record<string, number> = {};
      const summaries: HealthCheckSummary[] = [];
      for (let i = 0; i < options.cycles; i++) {
        const started = performance.now();
        const summary = await env.client.workflow.execute(healthCheckWorkflow, {
          taskQueue: scenario.taskQueue,
          workflowId: `health-check-bench-${label}-${randomUUID().slice(0, 8)}`,
          // heal: false — proactive healing of a failing check is a separate run, not part of the cycle.
          args: [{ heal: false }],
        });
        durations.push(performance.now() - started);
        overall[summary.overall] = (overall[summary.overall] ?? 0) + 1;
        summaries.push(summary);
      }
      const middle = summaries[Math.floor(summaries.length / 2)]!;
      const slowest = [...middle.checks].sort((a, b) => b.latencyMs - a.latencyMs)[0];
      return {
        label,
        cycles: options.cycles,
        medianMs: median(durations),
        p95Ms: percentile(durations, 95),
        overall,
        checks: middle.checks.length,
        slowestCheck: slowest ? `${slowest.name} ${slowest.status} ${Math.round(slowest.latencyMs)} ms` : 'none',
      };
    };
    await cycle('warmup');
    const healthy = await cycle('healthy');
    hang = true;
    const oneHung = await cycle('one-hung');
    return { hungCheckTimeoutMs: hungTimeoutMs, healthy, oneHung };
  } finally {
    await scenario.close();
    for (const server of [openai, resend, twilio, files, inventory, search]) await server.close();
  }
}
