// Benchmark 2: error-to-healed latency. A wrapped call fails once with a transient network
// error of a known signature (learned in warm-up runs) and the healing run's first re-run
// (RETRY_WITH_BACKOFF, on the application's worker) succeeds: the caller gets the value.
// Measured from the call to the healed value in the caller's hands, one call at a time, each
// after the previous run has finished its records.
import { median, percentile } from './lib/stats.js';
import { startScenario, type BenchEnvironment } from './lib/environment.js';
import { healedOnFirstRerun, type CallSample } from './lib/healed-call.js';
import { timelineOf, type Timeline } from './lib/history.js';
import type { WorkerTuning } from '../test/support/worker-entry.js';

export interface LatencyResult {
  runs: number;
  warmup: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  diagnosisSources: Record<string, number>;
  /** Median ms of each phase over the runs whose history was read. */
  phases: Array<{ phase: string; medianMs: number }>;
  workflowTasksPerRun: number;
  activitiesPerRun: number;
  localActivitiesPerRun: number;
  historyEventsPerRun: number;
}

export async function benchLatency(
  env: BenchEnvironment,
  options: { runs: number; warmup: number; tuning?: WorkerTuning; bundlePath?: string },
): Promise<LatencyResult> {
  const scenario = await startScenario(env);
  try {
    const call = healedOnFirstRerun(scenario.healer, 'bench.latency');
    await scenario.startAppWorker();
    await scenario.startWorkers(1, { tuning: options.tuning, bundlePath: options.bundlePath });

    // Errors are sporadic: each call starts once the previous run has written its last record, so
    // that a run's trailing work (records, notices) is not measured as the next call's latency.
    let finished = 0;
    const previousRunFinished = async () => {
      finished++;
      for (;;) {
        const { rows } = await scenario.database.pool.query<{ n: string }>(
          `select count(*) as n from healing_events where operation = 'bench.latency' and resolved_at is not null`,
        );
        if (Number(rows[0]!.n) >= finished) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    for (let i = 0; i < options.warmup; i++) {
      await call(i);
      await previousRunFinished();
    }
    const samples: CallSample[] = [];
    for (let i = 0; i < options.runs; i++) {
      samples.push(await call(options.warmup + i));
      await previousRunFinished();
    }
    const latencies = samples.map((sample) => sample.elapsed);

    // Where the time goes: the measured runs' histories (rows in call order: detected_at is the caller's clock).
    const { rows } = await scenario.database.pool.query<{ workflow_id: string; diagnosis_source: string }>(
      `select workflow_id, diagnosis_source from healing_events where operation = 'bench.latency' order by detected_at asc`,
    );
    const measured = rows.slice(options.warmup);
    const diagnosisSources: Record<string, number> = {};
    for (const row of measured)
      diagnosisSources[row.diagnosis_source] = (diagnosisSources[row.diagnosis_source] ?? 0) + 1;
    const picked = measured.map((row, index) => ({ row, sample: samples[index]! })).slice(-50);
    const timelines = await Promise.all(
      picked.map(async ({ row, sample }) => ({ timeline: await timelineOf(env.client, row.workflow_id), sample })),
    );
    const phases = breakdown(timelines);
    return {
      runs: options.runs,
      warmup: options.warmup,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      min: Math.min(...latencies),
      max: Math.max(...latencies),
      diagnosisSources,
      phases,
      workflowTasksPerRun: median(timelines.map(({ timeline }) => timeline.workflowTasks)),
      activitiesPerRun: median(timelines.map(({ timeline }) => timeline.activities.length)),
      localActivitiesPerRun: median(
        timelines.map(({ timeline }) => timeline.tasks.reduce((sum, task) => sum + task.localActivities.length, 0)),
      ),
      historyEventsPerRun: median(timelines.map(({ timeline }) => timeline.events)),
    };
  } finally {
    await scenario.close();
  }
}

function breakdown(
  runs: Array<{ timeline: Timeline; sample: CallSample }>,
): Array<{ phase: string; medianMs: number }> {
  const phase = (name: string, pick: (timeline: Timeline, sample: CallSample) => number | undefined) => ({
    phase: name,
    medianMs: median(runs.map(({ timeline, sample }) => pick(timeline, sample) ?? Number.NaN).filter(Number.isFinite)),
  });
  const las = (timeline: Timeline, index: number) => timeline.tasks[index]?.localActivities.join(', ') ?? '';
  const first = runs[0]?.timeline;
  const rerun = (timeline: Timeline) => timeline.activities.find((span) => span.name === 'runOperation');
  /** Milliseconds from `from` to `to`; undefined when the run has no such event. */
  const span = (from: number | undefined, to: number | undefined) =>
    from === undefined || to === undefined ? undefined : to - from;
  return [
    phase(
      'caller: call → workflow started (signature, sanitise, seal, update-with-start RPC)',
      (t, s) => t.startedAt - s.at,
    ),
    phase('workflow task 1: scheduled → picked up by the central worker', (t) =>
      span(t.tasks[0]?.scheduledAt, t.tasks[0]?.startedAt),
    ),
    phase(`workflow task 1: run, incl. local activities [${first ? las(first, 0) : ''}]`, (t) =>
      span(t.tasks[0]?.startedAt, t.tasks[0]?.completedAt),
    ),
    phase('runOperation (app worker): scheduled → started', (t) => span(rerun(t)?.scheduledAt, rerun(t)?.startedAt)),
    phase('runOperation (app worker): started → completed', (t) => span(rerun(t)?.startedAt, rerun(t)?.closedAt)),
    phase('workflow task 2: scheduled → picked up', (t) => span(t.tasks[1]?.scheduledAt, t.tasks[1]?.startedAt)),
    phase(`workflow task 2: run, incl. local activities [${first ? las(first, 1) : ''}]`, (t) =>
      span(t.tasks[1]?.startedAt, t.tasks[1]?.completedAt),
    ),
    phase('update completed → caller has the value', (t, s) => s.end - t.updateCompletedAt!),
    phase('total (caller)', (_t, s) => s.elapsed),
  ];
}
