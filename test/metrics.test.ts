// Metrics: after known runs, the central worker's /metrics (lib/metrics-endpoint.ts) shows the
// system's own values and the Temporal runtime's, and the app's registry (client/metrics.ts) the
// app-side ones.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import { createLlmCallBudget } from '../activities/llm-budget.js';
import { selfHealingMetrics } from '../client/metrics.js';
import { createSystemMetrics } from '../lib/metrics.js';
import { runtimeMetricsOnLoopback, startMetricsEndpoint, type MetricsEndpoint } from '../lib/metrics-endpoint.js';
import { alwaysInvalid, flakyOnce, startObservedSystem, type ObservedSystem } from './support/observed-system.js';
import { metricFamilies, sampleValue } from './support/prometheus-text.js';
import { connectToDevServer } from './support/temporal.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';

const runtimeMetrics = await runtimeMetricsOnLoopback();
Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: runtimeMetrics.telemetryOptions });

const metrics = createSystemMetrics();
const appRegistry = new Registry();
let system: ObservedSystem;
let endpoint: MetricsEndpoint;

beforeAll(async () => {
  const dev = await connectToDevServer();
  await dev.connection.close();
  system = await startObservedSystem({ address: dev.address, metrics });
  selfHealingMetrics(system.healer, appRegistry);
  endpoint = await startMetricsEndpoint({ registry: metrics.registry, port: 0, runtimeMetricsUrl: runtimeMetrics.url });
}, 120_000);

afterAll(async () => {
  await endpoint?.close();
  await system?.stop();
});

async function scrape(): Promise<string> {
  const response = await fetch(endpoint.url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('the /metrics endpoint', () => {
  it('counts healing runs, diagnoses, permanent errors and notifications after known runs', async () => {
    const fetchRate = flakyOnce(system.healer, 'metered.fetchRate', 1.1);
    const save = alwaysInvalid(system.healer, 'metered.save');
    const workflowIds: string[] = [];
    system.healer.onCallOutcome((event) => workflowIds.push(event.healingWorkflowId!));
    await expect(fetchRate()).resolves.toBe(1.1);
    await expect(save()).rejects.toMatchObject({ healingOutcome: 'failed' });
    await Promise.all(workflowIds.map((id) => system.client.workflow.getHandle(id).result()));

    const text = await scrape();
    expect(
      sampleValue(text, 'self_healing_runs_total', {
        outcome: 'healed',
        strategy: 'RETRY_WITH_BACKOFF',
        category: 'network',
      }),
    ).toBe(1);
    expect(
      sampleValue(text, 'self_healing_runs_total', { outcome: 'failed', strategy: 'none', category: 'validation' }),
    ).toBe(1);
    expect(sampleValue(text, 'self_healing_time_to_heal_seconds_count', { outcome: 'healed' })).toBe(1);
    expect(sampleValue(text, 'self_healing_permanent_errors_total', { category: 'validation' })).toBe(1);
    expect(sampleValue(text, 'self_healing_diagnoses_total', { source: 'rules' })).toBe(2);
    // No channel configured: the alert of the failed run is recorded as skipped on both.
    expect(sampleValue(text, 'self_healing_notifications_total', { channel: 'email', result: 'skipped' })).toBe(1);
    expect(sampleValue(text, 'self_healing_notifications_total', { channel: 'sms', result: 'skipped' })).toBe(1);
    expect(sampleValue(text, 'self_healing_occurrences_unrecorded_total')).toBeUndefined();
  });

  it('includes the Temporal runtime metrics', async () => {
    const text = await scrape();
    expect(
      sampleValue(text, 'temporal_workflow_completed_total', { workflow_type: 'healingWorkflow' }),
    ).toBeGreaterThanOrEqual(2);
  });

  it('shows health checks, storm joins and the LLM budget', async () => {
    const activities = createActivities({
      db: system.database.db,
      metrics,
      health: { memory: { rssDegradedMb: 1, rssUnhealthyMb: 1 } },
    });
    await activities.runHealthCheck({ name: 'memory' });
    const signature = `sig-${randomUUID()}`;
    const occurrence = (result: 'joined' | 'healed') => ({
      eventKey: `${signature}-${result}`,
      result,
      error: { name: 'Error', message: 'read ECONNRESET' },
      detectedAt: new Date().toISOString(),
    });
    await activities.recordJoinedOccurrences({
      operation: 'metered.storm',
      signature,
      logWorkflowId: `log-${signature}`,
      occurrences: [occurrence('joined'), { ...occurrence('healed'), strategy: 'RETRY_WITH_BACKOFF' }],
    });
    const budget = createLlmCallBudget({ db: system.database.db, callsPerHour: 5 });
    await budget.tryAcquire();
    await budget.tryAcquire();
    metrics.watchLlmBudget(budget);

    const text = await scrape();
    expect(sampleValue(text, 'self_healing_health_check_status', { check: 'memory', status: 'unhealthy' })).toBe(1);
    expect(sampleValue(text, 'self_healing_health_check_status', { check: 'memory', status: 'healthy' })).toBe(0);
    expect(sampleValue(text, 'self_healing_health_check_latency_seconds_count', { check: 'memory' })).toBe(1);
    expect(sampleValue(text, 'self_healing_joined_occurrences_total', { result: 'joined' })).toBe(1);
    expect(sampleValue(text, 'self_healing_joined_occurrences_total', { result: 'healed' })).toBe(1);
    expect(sampleValue(text, 'self_healing_llm_budget_remaining')).toBe(3);
    expect(sampleValue(text, 'self_healing_llm_budget_per_hour')).toBe(5);
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(endpoint.url.replace('/metrics', '/'))).status).toBe(404);
  });
});

describe('the application-side metrics', () => {
  it('count failed calls by outcome, healed values by strategy, and caller waits', async () => {
    const text = await appRegistry.metrics();
    expect(
      sampleValue(text, 'self_healing_app_failed_calls_total', { operation: 'metered.fetchRate', outcome: 'healed' }),
    ).toBe(1);
    expect(
      sampleValue(text, 'self_healing_app_failed_calls_total', { operation: 'metered.save', outcome: 'failed' }),
    ).toBe(1);
    expect(
      sampleValue(text, 'self_healing_app_healed_values_total', {
        operation: 'metered.fetchRate',
        strategy: 'RETRY_WITH_BACKOFF',
      }),
    ).toBe(1);
    expect(sampleValue(text, 'self_healing_app_caller_wait_seconds_count', { outcome: 'healed' })).toBe(1);
  });
});

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string; for?: string }> }>;
}

const readDeploy = (file: string) => readFileSync(path.join(PROJECT_ROOT, 'deploy', file), 'utf8');

/** Metric names an expression reads: identifiers before a selector or range, minus functions, keywords and labels. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}');
  return [...withoutStrings.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)]
    .map((match) => match[1]!)
    .filter((name) => /^(self_healing|temporal)_|:/.test(name) || name === 'up');
}

/** A histogram's or counter's sample name → its family (as # TYPE declares it). */
function familyOf(name: string, families: Set<string>): string {
  const family = name.replace(/_(bucket|count|sum)$/, '');
  return families.has(family) ? family : name;
}

describe('the alert rules and the dashboard in deploy/', () => {
  const rules = parse(readDeploy('prometheus/alerts.yml')) as RuleFile;
  const allRules = rules.groups.flatMap((group) => group.rules);
  const recorded = new Set(allRules.flatMap((rule) => (rule.record ? [rule.record] : [])));
  const dashboard = JSON.parse(readDeploy('grafana/dashboards/self-healing.json')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };

  it('have the alerts the SLO and the operators need', () => {
    const alerts = allRules.flatMap((rule) => (rule.alert ? [rule.alert] : []));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'SelfHealingSuccessRateFastBurn',
        'SelfHealingSuccessRateSlowBurn',
        'SelfHealingLlmBudgetExhausted',
        'SelfHealingHealthCheckFailing',
        'SelfHealingOccurrencesUnrecorded',
      ]),
    );
    const fast = allRules.find((rule) => rule.alert === 'SelfHealingSuccessRateFastBurn')!;
    expect(fast.expr).toContain('rate1h > (14.4 * 0.05)');
    expect(fast.expr).toContain('rate5m > (14.4 * 0.05)');
  });

  it('read only metrics the /metrics endpoint exposes (or rules the file records, or Prometheus up)', async () => {
    const families = metricFamilies(await scrape());
    const expressions = [
      ...allRules.map((rule) => rule.expr),
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ];
    const referenced = new Set(expressions.flatMap(metricsIn));
    expect(referenced.size).toBeGreaterThan(15);
    const missing = [...referenced].filter(
      (name) => name !== 'up' && !recorded.has(name) && !families.has(familyOf(name, families)),
    );
    expect(missing).toEqual([]);
  });
});
