// Experiments beside the floor bench (issue 14, "Means to weigh"): each candidate measured against
// its reference, interleaved one call at a time in one run (a shared 2-core machine: compare
// ratios within a run, never absolute times across runs). Findings: docs/architecture.md,
// "Eager start and worker tuning (measured)". Not part of `npm run bench`.
//
//   npx tsx bench/lib/floor-ab.ts eager  [--runs=60] [--warmup=5]
//       the design's floors (update-with-start on the central worker) beside eager starts of the
//       same work on a worker in the application's process, sharing the client's NativeConnection;
//   npx tsx bench/lib/floor-ab.ts tuning --tuning='[{…}, {…}]' [--runs=60] [--warmup=5] [--backlog=200] [--drains=1]
//                                        [--drained=0,2]
//       a healing call (signature learned, first re-run heals) through a central worker with the SDK's
//       default options (reference, index 0) and one per tuning, interleaved; then backlog drains of
//       the reference and each tuning (or those --drained lists), alternating, the order reversed every pass.
import { parseArgs as parseArgv } from 'node:util';
import os from 'node:os';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { WorkerTuning } from '../../test/support/worker-entry.js';
import { benchThroughput } from '../throughput.js';
import { cpuBetween, cpuSnapshot, pidsOf, postgresBackendsOf, type ProcessGroups } from './cpu.js';
import { startBenchEnvironment, startScenario, type BenchEnvironment, type Scenario } from './environment.js';
import { answeredWithStart } from './floor-calls.js';
import { floorAnswerUpdate } from './floor-workflows.js';
import { healedOnFirstRerun } from './healed-call.js';
import { fmt, median, percentile, table } from './stats.js';

interface Sample {
  latency: number[];
  cpuMs: number[];
  eager: number;
}

interface Call {
  /** Completes when the caller has its answer; returns the run to wait for and whether it started eagerly. */
  answer(): Promise<{ workflowId: string; eager?: boolean }>;
  groups: ProcessGroups;
}

/** Runs every subject once per round (order rotating), each call to its run's close; CPU of all processes. */
async function interleave(
  env: BenchEnvironment,
  calls: Record<string, (round: number) => Call>,
  runs: number,
  warmup: number,
): Promise<Record<string, Sample>> {
  const names = Object.keys(calls);
  const samples: Record<string, Sample> = Object.fromEntries(
    names.map((name) => [name, { latency: [], cpuMs: [], eager: 0 }]),
  );
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length]!;
      const call = calls[name]!(round);
      const pids = pidsOf(call.groups);
      const before = cpuSnapshot(pids);
      const started = performance.now();
      const { workflowId, eager } = await call.answer();
      const elapsed = performance.now() - started;
      await env.client.workflow.getHandle(workflowId).result();
      const cpu = cpuBetween(before, cpuSnapshot(pids));
      if (round < warmup) continue;
      const sample = samples[name]!;
      sample.latency.push(elapsed);
      sample.cpuMs.push(Object.values(cpu).reduce((sum, seconds) => sum + seconds * 1000, 0));
      if (eager) sample.eager++;
    }
  }
  return samples;
}

function summary(samples: Record<string, Sample>, reference: string, labels: Record<string, string>): string {
  const ref = samples[reference]!;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return table(
    ['subject', 'p50 ms', 'p99 ms', 'CPU ms per run', `p50 / ${reference}`, `CPU / ${reference}`, 'started eagerly'],
    Object.entries(samples).map(([name, sample]) => [
      labels[name] ?? name,
      fmt(percentile(sample.latency, 50)),
      fmt(percentile(sample.latency, 99)),
      fmt(mean(sample.cpuMs)),
      fmt(percentile(sample.latency, 50) / percentile(ref.latency, 50), 2),
      fmt(mean(sample.cpuMs) / mean(ref.cpuMs), 2),
      `${sample.eager}/${sample.latency.length}`,
    ]),
  );
}

const groupsOf = (env: BenchEnvironment, scenario: Scenario): ProcessGroups => ({
  'Temporal dev server': () => [env.devServer.process.pid!],
  'central worker': () => scenario.workers.map((worker) => worker.pid),
  'application (client + app worker)': () => [process.pid],
  'PostgreSQL backends': () => postgresBackendsOf(scenario.database.url.split('/').pop()!),
});

const EAGER_LABELS: Record<string, string> = {
  answer: 'update-with-start on the central worker, answered at once (floor of the design)',
  skeleton: 'update-with-start + re-run on the app task queue (skeleton of the design)',
  eagerEmpty: 'eager start of an empty workflow on an in-app worker, result in hand',
  eagerThenUpdate: 'eager start on an in-app worker, then an update answered at once',
  ownQueue: 'in-app worker: start (not eager) + re-run on its own queue, result in hand',
  eagerOwnQueue: 'in-app worker: eager start + re-run on its own queue (eager activity dispatch)',
  eagerOwnQueueNoEA: 'in-app worker: eager start + re-run on its own queue, no eager activity dispatch',
};

async function eagerExperiment(env: BenchEnvironment, runs: number, warmup: number): Promise<string> {
  const scenario = await startScenario(env);
  const { taskQueue } = scenario;
  const appTaskQueue = `${taskQueue}-app`;
  scenario.healer.withSelfHealing('bench.floor.echo', async () => 1);
  // Eager start needs the client on the NativeConnection that an in-process worker of that task queue uses.
  const client = new Client({ connection: env.native });
  const activities = { runOperation: async () => ({ sealedValue: '1' }) };
  const inApp = (queue: string, eagerActivities: boolean) =>
    Worker.create({
      connection: env.native,
      taskQueue: queue,
      workflowBundle: { codePath: env.bundlePath },
      activities,
      ...(eagerActivities ? {} : { maxEagerActivityReservationsPerWorkflowTask: 0 }),
    });
  const ownQueue = `${taskQueue}-in-app`;
  const ownQueueNoEA = `${taskQueue}-in-app-no-ea`;
  const workers = [await inApp(ownQueue, true), await inApp(ownQueueNoEA, false)];
  const running = workers.map((worker) => worker.run());
  try {
    await scenario.startAppWorker();
    await scenario.startWorkers(1, { tuning: {} });
    const groups = groupsOf(env, scenario);
    const withStart = answeredWithStart(client, taskQueue);
    const started = async (type: string, workflowId: string, queue: string, eager: boolean, args: unknown[] = []) => {
      const handle = await client.workflow.start(type, {
        workflowId,
        taskQueue: queue,
        args,
        requestEagerStart: eager,
      });
      await handle.result();
      return { workflowId, eager: handle.eagerlyStarted };
    };
    const call = (answer: () => Promise<{ workflowId: string; eager?: boolean }>): Call => ({ answer, groups });
    const echo = [{ operation: 'bench.floor.echo' }];
    const samples = await interleave(
      env,
      {
        answer: (id) =>
          call(async () => {
            await withStart('answerAtOnceWorkflow', `ab-answer-${id}`, []);
            return { workflowId: `ab-answer-${id}` };
          }),
        skeleton: (id) =>
          call(async () => {
            await withStart('skeletonWorkflow', `ab-skeleton-${id}`, [{ appTaskQueue, operation: 'bench.floor.echo' }]);
            return { workflowId: `ab-skeleton-${id}` };
          }),
        eagerEmpty: (id) => call(() => started('emptyWorkflow', `ab-eager-empty-${id}`, ownQueue, true)),
        eagerThenUpdate: (id) =>
          call(async () => {
            const workflowId = `ab-eager-update-${id}`;
            const handle = await client.workflow.start('answerAtOnceWorkflow', {
              workflowId,
              taskQueue: ownQueue,
              requestEagerStart: true,
            });
            await handle.executeUpdate(floorAnswerUpdate);
            return { workflowId, eager: handle.eagerlyStarted };
          }),
        ownQueue: (id) => call(() => started('ownQueueSkeletonWorkflow', `ab-own-${id}`, ownQueue, false, echo)),
        eagerOwnQueue: (id) =>
          call(() => started('ownQueueSkeletonWorkflow', `ab-eager-own-${id}`, ownQueue, true, echo)),
        eagerOwnQueueNoEA: (id) =>
          call(() => started('ownQueueSkeletonWorkflow', `ab-eager-own-no-ea-${id}`, ownQueueNoEA, true, echo)),
      },
      runs,
      warmup,
    );
    return summary(samples, 'answer', EAGER_LABELS);
  } finally {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await scenario.close();
  }
}

async function tuningExperiment(
  env: BenchEnvironment,
  tunings: WorkerTuning[],
  options: { runs: number; warmup: number; backlog: number; drains: number; drained?: number[] },
): Promise<string> {
  const all = [{} as WorkerTuning, ...tunings];
  const label = (index: number) => (index === 0 ? 'reference (SDK defaults)' : JSON.stringify(all[index]));
  const scenarios: Scenario[] = [];
  try {
    const calls: Record<string, (round: number) => Call> = {};
    for (const [index, tuning] of all.entries()) {
      const scenario = await startScenario(env);
      scenarios.push(scenario);
      const heal = healedOnFirstRerun(scenario.healer, 'bench.floor.healing');
      await scenario.startAppWorker();
      await scenario.startWorkers(1, { tuning });
      const groups = groupsOf(env, scenario);
      calls[label(index)] = (round) => ({
        groups,
        answer: async () => ({ workflowId: (await heal(round)).workflowId }),
      });
    }
    const samples = await interleave(env, calls, options.runs, options.warmup);
    console.log(
      `Healing call, ${options.runs} runs each after ${options.warmup} warm-up rounds, interleaved:\n\n` +
        summary(samples, label(0), {}),
    );
  } finally {
    for (const scenario of scenarios) await scenario.close();
  }
  // Backlog drains, one worker each: the reference and each tuning alternately (order reversed every pass).
  const drained = new Map<number, Array<{ perSecond: number; cpu: number }>>();
  for (let pass = 0; pass < options.drains; pass++) {
    const order = [...(options.drained ?? all.keys())];
    if (pass % 2 === 1) order.reverse();
    for (const index of order) {
      const result = await benchThroughput(env, {
        runs: options.backlog,
        workers: 1,
        tuning: all[index],
        subject: 'healing',
        learnedFirst: true,
      });
      drained.set(index, [
        ...(drained.get(index) ?? []),
        { perSecond: result.perSecond, cpu: result.cpuMsPerRun.total! },
      ]);
    }
  }
  const ref = drained.get(0)!;
  return [
    '',
    `Backlog of ${options.backlog} healing runs drained by one central worker, ${options.drains} pass(es):`,
    '',
    table(
      ['central worker', 'runs/s (each pass)', 'runs/s / reference', 'CPU ms per run', 'CPU / reference'],
      [...drained.keys()].map((index) => {
        const rows = drained.get(index)!;
        return [
          label(index),
          rows.map((row) => fmt(row.perSecond)).join(', '),
          fmt(median(rows.map((row) => row.perSecond)) / median(ref.map((row) => row.perSecond)), 2),
          fmt(median(rows.map((row) => row.cpu))),
          fmt(median(rows.map((row) => row.cpu)) / median(ref.map((row) => row.cpu)), 2),
        ];
      }),
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgv({
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      warmup: { type: 'string' },
      tuning: { type: 'string' },
      drained: { type: 'string' },
      backlog: { type: 'string' },
      drains: { type: 'string' },
    },
  });
  const number = (name: 'runs' | 'warmup' | 'backlog' | 'drains', fallback: number) => Number(values[name] ?? fallback);
  const mode = positionals[0];
  const runs = number('runs', 60);
  const warmup = number('warmup', 5);
  const env = await startBenchEnvironment();
  try {
    console.log(`load average before: ${os.loadavg().map((load) => fmt(load, 2))}`);
    if (mode === 'eager') console.log(await eagerExperiment(env, runs, warmup));
    else if (mode === 'tuning') {
      const tunings = JSON.parse(values.tuning ?? '[]') as WorkerTuning[];
      const drained = values.drained?.split(',').map(Number);
      const options = { runs, warmup, backlog: number('backlog', 200), drains: number('drains', 1), drained };
      console.log(await tuningExperiment(env, tunings, options));
    } else throw new Error('usage: floor-ab.ts eager|tuning [options]');
    console.log(`load average after: ${os.loadavg().map((load) => fmt(load, 2))}`);
  } finally {
    await env.close();
  }
}

await main();
