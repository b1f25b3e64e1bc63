// Benchmark 3: healing throughput. A backlog of N healing runs (a transient network error that
// the first re-run heals) is started while no central worker runs; then 1 (or 2) central worker
// processes are started and the backlog drains. Throughput = N / (last run closed − workers ready).
// The application's worker (re-runs) lives in this process, as it would in the application.
import os from 'node:os';
import { startScenario, waitForClosed, workflowTimes, type BenchEnvironment } from './lib/environment.js';
import { peakRssOf } from '../test/support/worker-process.js';
import { CpuMeter, postgresBackendsOf } from './lib/cpu.js';
import { healedOnFirstRerun } from './lib/healed-call.js';
import type { WorkerTuning } from '../test/support/worker-entry.js';

/** What the backlog holds: healing runs, or (the floor) empty workflows on the same worker. */
export type ThroughputSubject = 'healing' | 'empty';

export interface ThroughputResult {
  subject: ThroughputSubject;
  workers: number;
  runs: number;
  tuning?: WorkerTuning;
  perSecond: number;
  drainSeconds: number;
  startsPerSecond: number;
  completed: number;
  healed: number;
  workerPeakRssBytes: number[];
  /** CPU seconds per healing run, by process group, while the backlog drained. */
  cpuMsPerRun: Record<string, number>;
  /** Runs per second the machine's cores could sustain at that CPU cost, if nothing else ran. */
  cpuBoundCapacityPerSecond: number;
  loadAverage: number;
}

export async function benchThroughput(
  env: BenchEnvironment,
  options: {
    runs: number;
    workers: number;
    tuning?: WorkerTuning;
    startConcurrency?: number;
    bundlePath?: string;
    subject?: ThroughputSubject;
    /** Heal calls of the fault first, until the client knows it: every run of the backlog then plans at once. */
    learnedFirst?: boolean;
  },
): Promise<ThroughputResult> {
  const subject = options.subject ?? 'healing';
  const scenario = await startScenario(env);
  try {
    const operation = 'bench.throughput';
    const healOnce = healedOnFirstRerun(scenario.healer, operation);
    await scenario.startAppWorker();
    let warmups = 0;
    if (subject === 'healing' && options.learnedFirst) {
      await scenario.startWorkers(1, { tuning: options.tuning, bundlePath: options.bundlePath });
      // Learned confidently after two heals (2 of 3): the third answer tells the client what is known.
      for (; warmups < 3; warmups++) await healOnce(warmups);
      await waitForClosed(env.client, scenario.taskQueue, warmups, 100);
      await scenario.stopWorkers();
    }

    // The backlog: N runs as the application would start them after N failed calls.
    const startedAt = performance.now();
    let next = 0;
    const startOne = async (id: number) => {
      if (subject === 'empty') {
        await env.client.workflow.start('emptyWorkflow', {
          taskQueue: scenario.taskQueue,
          workflowId: `${scenario.taskQueue}-empty-${id}`,
        });
        return;
      }
      const error = Object.assign(new Error(`read ECONNRESET 10.0.${id % 250}.${id % 7}:443`), { code: 'ECONNRESET' });
      await scenario.healer.startHealing(operation, [id], error);
    };
    const starter = async () => {
      while (next < options.runs) await startOne(next++);
    };
    await Promise.all(Array.from({ length: options.startConcurrency ?? 32 }, starter));
    const startsPerSecond = options.runs / ((performance.now() - startedAt) / 1000);

    const readyAt = await scenario.startWorkers(options.workers, {
      tuning: options.tuning,
      bundlePath: options.bundlePath,
    });
    const meter = new CpuMeter({
      'Temporal dev server': () => [env.devServer.process.pid!],
      'central worker(s)': () => scenario.workers.map((worker) => worker.pid),
      'application (app worker + client)': () => [process.pid],
      'PostgreSQL backends': () => postgresBackendsOf(scenario.database.url.split('/').pop()!),
    });
    meter.start();
    const peaks = new Map<number, number>();
    const sampler = setInterval(() => {
      for (const worker of scenario.workers) {
        const rss = peakRssOf(worker.pid);
        if (rss) peaks.set(worker.pid, rss);
      }
    }, 250);
    try {
      await waitForClosed(env.client, scenario.taskQueue, warmups + options.runs, 250);
    } finally {
      clearInterval(sampler);
    }
    const cpu = meter.stop();
    const cpuMsPerRun = Object.fromEntries(
      Object.entries(cpu).map(([group, seconds]) => [group, (seconds * 1000) / options.runs]),
    );
    const totalMs = Object.values(cpuMsPerRun).reduce((sum, value) => sum + value, 0);
    cpuMsPerRun.total = totalMs;
    const times = await workflowTimes(env.client, scenario.taskQueue);
    const lastClose = Math.max(...times.map((time) => time.close ?? 0));
    const drainSeconds = (lastClose - readyAt) / 1000;
    const { rows } = await scenario.database.pool.query<{ healed: string }>(
      `select count(*) filter (where result = 'healed') as healed from healing_events`,
    );
    return {
      subject,
      workers: options.workers,
      runs: options.runs,
      tuning: options.tuning,
      perSecond: options.runs / drainSeconds,
      drainSeconds,
      startsPerSecond,
      completed: times.filter((time) => time.status === 'COMPLETED').length - warmups,
      healed: Number(rows[0]!.healed) - warmups,
      workerPeakRssBytes: [...peaks.values()],
      cpuMsPerRun,
      cpuBoundCapacityPerSecond: (os.availableParallelism() * 1000) / totalMs,
      loadAverage: os.loadavg()[0]!,
    };
  } finally {
    await scenario.close();
  }
}
