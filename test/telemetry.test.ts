// Tracing (lib/telemetry.ts): a heal traced end to end into an in-process OTLP/HTTP receiver —
// the failing call → its healing run → the run's activities (analysis, the re-run on the app's
// task queue, the outcome record, a notification), one trace, with the run's facts as attributes.
// And the recorded histories still replay with the tracing workflow interceptors installed.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { historyFromJson } from '../cli/operator/history-json.js';
import type { CallOutcomeEvent } from '../client/self-healing.js';
import { tracingFromEnv, type Tracing } from '../lib/telemetry.js';
import { WORKFLOWS_PATH } from '../workers/worker.js';
import { startFakeOtlpReceiver, type FakeOtlpReceiver, type ReceivedSpan } from './support/fake-otlp.js';
import { alwaysInvalid, flakyOnce, startObservedSystem, type ObservedSystem } from './support/observed-system.js';
import { connectToDevServer } from './support/temporal.js';

Runtime.install({ logger: new DefaultLogger('ERROR') });

let receiver: FakeOtlpReceiver;
let tracing: Tracing;
let system: ObservedSystem;
const outcomes: CallOutcomeEvent[] = [];

beforeAll(async () => {
  receiver = await startFakeOtlpReceiver();
  tracing = tracingFromEnv(
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...process.env, OTEL_SERVICE_NAME: 'telemetry-test' },
    'unused',
  )!;
  const dev = await connectToDevServer();
  await dev.connection.close();
  system = await startObservedSystem({ address: dev.address, tracing });
  system.healer.onCallOutcome((event) => outcomes.push(event));
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await tracing?.shutdown();
  await receiver?.close();
});

/** The spans of the latest trace, once `names` have all arrived (workflow spans come through a sink). */
async function traceOf(rootName: string, names: string[]): Promise<ReceivedSpan[]> {
  for (let waited = 0; waited < 20_000; waited += 200) {
    await tracing.flush();
    const root = receiver.spans.filter((span) => span.name === rootName && !span.parentSpanId).at(-1);
    const spans = root ? receiver.spans.filter((span) => span.traceId === root.traceId) : [];
    if (names.every((name) => spans.some((span) => span.name === name))) return spans;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`trace of ${rootName} incomplete: got ${receiver.spans.map((span) => span.name).join(', ')}`);
}

function descendsFrom(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  for (let at: ReceivedSpan | undefined = span; at; at = spans.find((other) => other.spanId === at!.parentSpanId)) {
    if (at.spanId === ancestor.spanId) return true;
  }
  return false;
}

describe('tracing', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
    expect(tracingFromEnv({}, 'app')).toBeUndefined();
  });

  it('shows a healed call, its run and its activities in one trace, with outcome, strategy and signature', async () => {
    const fetchQuote = flakyOnce(system.healer, 'traced.fetchQuote', 42);
    await expect(fetchQuote()).resolves.toBe(42);
    const workflowId = outcomes.at(-1)!.healingWorkflowId!;
    await system.client.workflow.getHandle(workflowId).result();

    const spans = await traceOf('UpdateWithStartWorkflow:callerOutcome', [
      'RunWorkflow:healingWorkflow',
      'RunActivity:analyseError',
      'RunActivity:runOperation',
      'RunActivity:recordOutcome',
    ]);
    const byName = (name: string) => spans.find((span) => span.name === name)!;
    const call = byName('UpdateWithStartWorkflow:callerOutcome');
    const run = byName('RunWorkflow:healingWorkflow');
    expect(call.service).toBe('telemetry-test');
    expect(descendsFrom(spans, run, call)).toBe(true);
    for (const activity of ['RunActivity:analyseError', 'RunActivity:runOperation', 'RunActivity:recordOutcome']) {
      expect(descendsFrom(spans, byName(activity), run), activity).toBe(true);
    }
    expect(byName('RunActivity:analyseError').attributes).toMatchObject({
      'healing.operation': 'traced.fetchQuote',
      'healing.category': 'network',
      'healing.signature': expect.stringMatching(/\w/),
    });
    expect(byName('RunActivity:recordOutcome').attributes).toMatchObject({
      'healing.outcome': 'healed',
      'healing.strategy': 'RETRY_WITH_BACKOFF',
      'healing.category': 'network',
    });
    expect(receiver.paths.every((requestPath) => requestPath === '/v1/traces')).toBe(true);
  });

  it('traces the notification of a permanent error, with its text sanitised', async () => {
    const save = alwaysInvalid(system.healer, 'traced.save');
    await expect(save()).rejects.toMatchObject({ healingOutcome: 'failed' });
    await system.client.workflow.getHandle(outcomes.at(-1)!.healingWorkflowId!).result();
    const spans = await traceOf('UpdateWithStartWorkflow:callerOutcome', ['RunActivity:notifyAdmins']);
    const run = spans.find((span) => span.name === 'RunWorkflow:healingWorkflow')!;
    const notify = spans.find((span) => span.name === 'RunActivity:notifyAdmins')!;
    expect(descendsFrom(spans, notify, run)).toBe(true);
    expect(spans.find((span) => span.name === 'RunActivity:recordOutcome')!.attributes).toMatchObject({
      'healing.outcome': 'failed',
      'healing.category': 'validation',
    });
    expect(JSON.stringify(receiver.spans)).not.toContain('jane@example.com');
  });
});

describe('replay with the tracing workflow interceptors', () => {
  it('replays every recorded history', async () => {
    const directory = path.join(import.meta.dirname, 'histories');
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
    const histories = files.map((file) => ({
      workflowId: file,
      history: historyFromJson(JSON.parse(readFileSync(path.join(directory, file), 'utf8'))),
    }));
    const failed: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, plugins: [tracing.plugin] },
      histories,
    )) {
      if (result.error) failed.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(files.length).toBeGreaterThan(10);
    expect(failed).toEqual([]);
  }, 180_000);
});
