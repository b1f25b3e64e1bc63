// Benchmark 7: a healing run against Temporal's own floor (issue 14). Four subjects, interleaved
// one call at a time in one run on one dev server and one central worker process:
//   empty        an empty workflow, `execute`;
//   answer       update-with-start, the update answered in the first workflow task (this design's floor);
//   skeleton     update-with-start answered with one re-run on the application's task queue;
//   healing      a wrapped call fails, the healing run's first re-run heals it (signature learned in warm-up).
// Per subject: latency p50/p99 (call → answer in hand), CPU ms per run (every process, from the
// call to the run's close), history events, workflow tasks, and how long a run stays open after
// answering. Then the throughput of a 500-run backlog drained by one worker: empty vs healing.
import type { Client } from '@temporalio/client';
import { answeredWithStart } from './lib/floor-calls.js';
import { cpuBetween, cpuSnapshot, pidsOf, postgresBackendsOf, type ProcessGroups } from './lib/cpu.js';
import { startScenario, type BenchEnvironment, type Scenario } from './lib/environment.js';
import { healedOnFirstRerun } from './lib/healed-call.js';
import { timelineOf } from './lib/history.js';
import { fmt, median, percentile, table, verdict } from './lib/stats.js';
import { benchThroughput, type ThroughputResult } from './throughput.js';
import type { WorkerTuning } from '../test/support/worker-entry.js';

export const FLOOR_SUBJECTS = ['empty', 'answer', 'skeleton', 'healing'] as const;
export type FloorSubject = (typeof FLOOR_SUBJECTS)[number];

const LABELS: Record<FloorSubject, string> = {
  empty: 'empty workflow, `execute`',
  answer: 'update-with-start, update answered at once (the floor of this design)',
  skeleton: "update-with-start + one re-run activity on an app task queue (the design's bare skeleton)",
  healing: 'error → healed by the first re-run, signature already learned',
};

export interface SubjectFigures {
  subject: FloorSubject;
  runs: number;
  p50: number;
  p99: number;
  /** CPU ms per run, all processes, from the call to the run's close. */
  cpuMs: number;
  /** Medians over the runs whose history was read. */
  historyEvents: number;
  workflowTasks: number;
  /** The run's close − the caller's answer (update completed), median ms; NaN without an update. */
  openAfterAnswerMs: number;
}

export interface FloorResult {
  runs: number;
  warmup: number;
  subjects: Record<FloorSubject, SubjectFigures>;
  throughput: { empty: ThroughputResult; healing: ThroughputResult };
  loadBefore: number[];
  loadAfter: number[];
}

interface Run {
  elapsed: number;
  workflowId: string;
}

function subjects(env: BenchEnvironment, scenario: Scenario): Record<FloorSubject, (id: number) => Promise<Run>> {
  const client: Client = env.client;
  const taskQueue = scenario.taskQueue;
  const appTaskQueue = `${taskQueue}-app`;
  const healOnce = healedOnFirstRerun(scenario.healer, 'bench.floor.healing');
  scenario.healer.withSelfHealing('bench.floor.echo', async () => 1);
  const timed = async (workflowId: string, work: () => Promise<unknown>): Promise<Run> => {
    const started = performance.now();
    await work();
    return { elapsed: performance.now() - started, workflowId };
  };
  const withStart = answeredWithStart(client, taskQueue);
  return {
    empty: (id) =>
      timed(`floor-empty-${id}`, () =>
        client.workflow.execute('emptyWorkflow', { taskQueue, workflowId: `floor-empty-${id}` }),
      ),
    answer: (id) => timed(`floor-answer-${id}`, () => withStart('answerAtOnceWorkflow', `floor-answer-${id}`, [])),
    skeleton: (id) =>
      timed(`floor-skeleton-${id}`, () =>
        withStart('skeletonWorkflow', `floor-skeleton-${id}`, [{ appTaskQueue, operation: 'bench.floor.echo' }]),
      ),
    healing: async (id) => {
      const sample = await healOnce(id);
      return { elapsed: sample.elapsed, workflowId: sample.workflowId };
    },
  };
}

export async function benchFloor(
  env: BenchEnvironment,
  options: { runs: number; warmup: number; backlog: number; tuning?: WorkerTuning },
): Promise<FloorResult> {
  const loadBefore = (await import('node:os')).loadavg();
  const scenario = await startScenario(env);
  let figures: Record<FloorSubject, SubjectFigures>;
  try {
    const run = subjects(env, scenario);
    await scenario.startAppWorker();
    await scenario.startWorkers(1, { tuning: options.tuning });
    const groups: ProcessGroups = {
      'Temporal dev server': () => [env.devServer.process.pid!],
      'central worker': () => scenario.workers.map((worker) => worker.pid),
      'application (client + app worker)': () => [process.pid],
      'PostgreSQL backends': () => postgresBackendsOf(scenario.database.url.split('/').pop()!),
    };
    const samples = Object.fromEntries(
      FLOOR_SUBJECTS.map((subject) => [
        subject,
        { latency: [] as number[], cpuMs: [] as number[], ids: [] as string[] },
      ]),
    );
    for (let round = 0; round < options.warmup + options.runs; round++) {
      // Interleaved, the order rotating every round: load from elsewhere hits every subject alike.
      for (let k = 0; k < FLOOR_SUBJECTS.length; k++) {
        const subject = FLOOR_SUBJECTS[(round + k) % FLOOR_SUBJECTS.length]!;
        const pids = pidsOf(groups); // reading /proc for the database's backends: outside the window
        const before = cpuSnapshot(pids);
        const { elapsed, workflowId } = await run[subject](round);
        // One run at a time, each counted to its close (a run's trailing records are its own cost).
        await env.client.workflow.getHandle(workflowId).result();
        const cpu = cpuBetween(before, cpuSnapshot(pids));
        if (round < options.warmup) continue;
        const sample = samples[subject]!;
        sample.latency.push(elapsed);
        sample.cpuMs.push(Object.values(cpu).reduce((sum, seconds) => sum + seconds * 1000, 0));
        sample.ids.push(workflowId);
      }
    }
    figures = Object.fromEntries(
      await Promise.all(
        FLOOR_SUBJECTS.map(async (subject) => {
          const { latency, cpuMs, ids } = samples[subject]!;
          const timelines = await Promise.all(ids.slice(-30).map((id) => timelineOf(env.client, id)));
          return [
            subject,
            {
              subject,
              runs: latency.length,
              p50: percentile(latency, 50),
              p99: percentile(latency, 99),
              cpuMs: cpuMs.reduce((sum, value) => sum + value, 0) / cpuMs.length,
              historyEvents: median(timelines.map((timeline) => timeline.events)),
              workflowTasks: median(timelines.map((timeline) => timeline.workflowTasks)),
              openAfterAnswerMs: median(
                timelines.map(
                  (timeline) => (timeline.closedAt ?? Number.NaN) - (timeline.updateCompletedAt ?? Number.NaN),
                ),
              ),
            },
          ];
        }),
      ),
    ) as Record<FloorSubject, SubjectFigures>;
  } finally {
    await scenario.close();
  }
  const drain = (subject: 'empty' | 'healing') =>
    benchThroughput(env, { runs: options.backlog, workers: 1, tuning: options.tuning, subject, learnedFirst: true });
  const empty = await drain('empty');
  const healing = await drain('healing');
  return {
    runs: options.runs,
    warmup: options.warmup,
    subjects: figures,
    throughput: { empty, healing },
    loadBefore,
    loadAfter: (await import('node:os')).loadavg(),
  };
}

const cpu = (result: ThroughputResult) => result.cpuMsPerRun.total!;
const load = (values: number[]) => values.map((value) => fmt(value, 2)).join(', ');

/** The section bench/results.md keeps for this benchmark (its heading is its key there). */
export function floorSection(result: FloorResult): string {
  const { empty, answer, skeleton, healing } = result.subjects;
  const drained = result.throughput;
  const ratio = (a: number, b: number) => fmt(a / b, 2);
  const ms = (value: number) => (Number.isFinite(value) ? fmt(value) : '–');
  return [
    FLOOR_HEADING,
    '',
    `${result.runs} runs per subject after ${result.warmup} warm-up rounds, interleaved one call at a time ` +
      '(order rotating), one dev server, one central worker process serving every subject, the application ' +
      "(client + app worker) in the bench process. Latency: call → answer in hand. CPU: every process's CPU " +
      "time from the call to the run's close (dev server, central worker, application, PostgreSQL backends). " +
      `Load average before: ${load(result.loadBefore)}; after: ${load(result.loadAfter)} ` +
      '(a shared 2-core machine: ratios, not absolute times, matter).',
    '',
    table(
      ['subject', 'p50 ms', 'p99 ms', 'CPU ms per run', 'history events', 'workflow tasks', 'open after answering, ms'],
      [empty, answer, skeleton, healing].map((row) => [
        LABELS[row.subject],
        fmt(row.p50),
        fmt(row.p99),
        fmt(row.cpuMs),
        row.historyEvents,
        row.workflowTasks,
        ms(row.openAfterAnswerMs),
      ]),
    ),
    '',
    `Throughput, a backlog of ${drained.empty.runs} drained by one worker: ` +
      `empty workflows ${fmt(drained.empty.perSecond)}/s, healing runs ${fmt(drained.healing.perSecond)}/s; ` +
      `CPU per run ${fmt(cpu(drained.empty))} vs ${fmt(cpu(drained.healing))} ms ` +
      `(load average ${fmt(drained.empty.loadAverage, 2)}, ${fmt(drained.healing.loadAverage, 2)}). ` +
      `All healing runs healed: ${drained.healing.healed}/${drained.healing.runs}.`,
    '',
    table(
      ['target', 'measured', 'verdict'],
      [
        [
          'healing p50 ≤ 1.5× the floor (answer at once)',
          ratio(healing.p50, answer.p50),
          verdict(healing.p50 <= 1.5 * answer.p50),
        ],
        [
          'healing p50 ≤ 1.1× the skeleton',
          ratio(healing.p50, skeleton.p50),
          verdict(healing.p50 <= 1.1 * skeleton.p50),
        ],
        ["healing p99 ≤ 2× the floor's p99", ratio(healing.p99, answer.p99), verdict(healing.p99 <= 2 * answer.p99)],
        [
          'healing throughput ≥ 50 % of empty workflows (one worker)',
          `${fmt((100 * drained.healing.perSecond) / drained.empty.perSecond, 0)} %`,
          verdict(drained.healing.perSecond >= 0.5 * drained.empty.perSecond),
        ],
        [
          "CPU per healing run ≤ 2× an empty workflow's (backlog drain)",
          ratio(drained.healing.cpuMsPerRun.total!, drained.empty.cpuMsPerRun.total!),
          verdict(drained.healing.cpuMsPerRun.total! <= 2 * drained.empty.cpuMsPerRun.total!),
        ],
        [
          "CPU per healing run ≤ 2× an empty workflow's (one call at a time)",
          ratio(healing.cpuMs, empty.cpuMs),
          verdict(healing.cpuMs <= 2 * empty.cpuMs),
        ],
        ['a simple heal: ≤ 14 history events', String(healing.historyEvents), verdict(healing.historyEvents <= 14)],
        ['a simple heal: 2 workflow tasks', String(healing.workflowTasks), verdict(healing.workflowTasks <= 2)],
        [
          'the run closes within 100 ms of answering',
          `${ms(healing.openAfterAnswerMs)} ms`,
          verdict(healing.openAfterAnswerMs <= 100),
        ],
      ],
    ),
    '',
    // What no healing run can go below: the same ratios for the skeleton, which only re-runs and answers.
    `The skeleton alone (a re-run and the answer, nothing recorded or decided): p50 ${ratio(skeleton.p50, answer.p50)}× ` +
      `the floor's, p99 ${ratio(skeleton.p99, answer.p99)}× the floor's p99, CPU ${ratio(skeleton.cpuMs, empty.cpuMs)}× ` +
      `an empty workflow's (one call at a time), ${skeleton.historyEvents} history events.`,
  ].join('\n');
}

const FLOOR_HEADING = '## 7. A healing run against the floor';
