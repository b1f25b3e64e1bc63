// Benchmark 1: what withSelfHealing adds to a successful call. No Temporal server is needed:
// the success path never touches the client (a lazy connection that is never opened).
//
// Method: every subject runs the same awaited loop (a separate compiled loop per subject so
// V8's type feedback of one does not pollute another), subjects interleaved in a rotating
// order within each round, warm-up rounds discarded, the median of many rounds reported;
// the ratio is the median of the per-round ratios (subject / bare call of the same round).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Client, Connection } from '@temporalio/client';
import { SelfHealing } from '../client/self-healing.js';
import { median } from './lib/stats.js';

type AsyncFn = (x: number) => Promise<number>;

export interface OverheadOptions {
  /** Calls per sample. */
  iterations: number;
  /** Default 'cpu' (see measure). */
  clock?: Clock;
  rounds: number;
  warmupRounds: number;
}

export interface SubjectResult {
  name: string;
  /** Median CPU ns per call over rounds. */
  nsPerOp: number;
  /** Median over rounds of (subject CPU time / adjacent bare-call CPU time). */
  ratio: number;
  /** Fastest wall-clock ns per call over rounds (the least disturbed sample). */
  minWallNsPerOp: number;
  /** minWallNsPerOp / the bare call's minWallNsPerOp: a cross-check that ignores other threads. */
  minWallRatio: number;
}

export interface OverheadSection {
  baseline: string;
  asyncHooks: boolean;
  results: SubjectResult[];
}

export interface OverheadResult {
  options: OverheadOptions;
  sections: OverheadSection[];
}

function compileLoop(): (fn: AsyncFn, n: number) => Promise<number> {
  // A fresh function per subject: its own feedback vector, a monomorphic call site.
  return new Function(
    'fn',
    'n',
    'return (async () => { let acc = 0; for (let i = 0; i < n; i++) acc += await fn(i); return acc; })();',
  ) as (fn: AsyncFn, n: number) => Promise<number>;
}

interface Subject {
  name: string;
  fn: AsyncFn;
  loop: (fn: AsyncFn, n: number) => Promise<number>;
  samples: number[];
  ratios: number[];
  /** Wall-clock ns per call of every sample, warm-up included (only the minimum is used). */
  walls: number[];
}

/**
 * ns per call of one sample. CPU time of this process (user + system), not wall time: on a
 * shared machine other processes preempt us, and wall time would count their work as ours.
 * The loop is single-threaded and never waits on I/O except the setImmediate baseline, whose
 * idle wait is not part of either side's cost anyway. Process CPU time also counts V8's
 * background threads (GC, JIT), so the fastest wall-clock sample is kept as a cross-check.
 */
async function measure(subject: Subject, n: number, clock: Clock): Promise<number> {
  const startedWall = process.hrtime.bigint();
  const startedCpu = process.cpuUsage();
  const acc = await subject.loop(subject.fn, n);
  const cpu = process.cpuUsage(startedCpu);
  const wall = Number(process.hrtime.bigint() - startedWall);
  if (acc !== (n * (n + 1)) / 2) throw new Error(`${subject.name} returned a wrong sum`); // keeps the work observable
  subject.walls.push(wall / n);
  return clock === 'cpu' ? ((cpu.user + cpu.system) * 1_000) / n : wall / n;
}

export type Clock = 'cpu' | 'wall';

/**
 * The shipped wrapper, with and without cacheResults, and the floor any wrapper that can catch
 * a rejection has: one derived promise (fn(x).then(undefined, handler)) and nothing else.
 */
function subjectsFor(healer: SelfHealing, base: AsyncFn): Array<{ name: string; fn: AsyncFn }> {
  const onError = (error: unknown): never => {
    throw error;
  };
  return [
    { name: 'bare call', fn: base },
    { name: 'withSelfHealing', fn: healer.withSelfHealing(`bench.${Math.random()}`, base) },
    {
      name: 'withSelfHealing, cacheResults: true',
      fn: healer.withSelfHealing(`bench.${Math.random()}`, base, { cacheResults: true }),
    },
    {
      name: 'floor: one derived promise, fixed arity, shared handler',
      fn: (x: number) => base(x).then(undefined, onError),
    },
  ];
}

async function runSection(
  healer: SelfHealing,
  baseline: { name: string; fn: AsyncFn },
  options: OverheadOptions,
  asyncHooks: boolean,
): Promise<OverheadSection> {
  const subjects: Subject[] = subjectsFor(healer, baseline.fn).map((subject) => ({
    ...subject,
    loop: compileLoop(),
    samples: [],
    ratios: [],
    walls: [],
  }));
  const [bare, ...others] = subjects as [Subject, ...Subject[]];
  const clock = options.clock ?? 'cpu';
  for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
    // Each subject is paired with a bare-call sample taken right next to it (order alternating
    // by round), so a burst of load from other processes hits both sides of a ratio alike;
    // the subjects' order rotates every round.
    for (let k = 0; k < others.length; k++) {
      const subject = others[(round + k) % others.length]!;
      let bareNs: number;
      let subjectNs: number;
      if ((round + k) % 2 === 0) {
        bareNs = await measure(bare, options.iterations, clock);
        subjectNs = await measure(subject, options.iterations, clock);
      } else {
        subjectNs = await measure(subject, options.iterations, clock);
        bareNs = await measure(bare, options.iterations, clock);
      }
      if (round < options.warmupRounds) continue;
      bare.samples.push(bareNs);
      subject.samples.push(subjectNs);
      subject.ratios.push(subjectNs / bareNs);
    }
  }
  bare.ratios.push(1);
  return {
    baseline: baseline.name,
    asyncHooks,
    results: subjects.map((subject) => ({
      name: subject.name,
      nsPerOp: median(subject.samples),
      ratio: median(subject.ratios),
      minWallNsPerOp: Math.min(...subject.walls),
      minWallRatio: Math.min(...subject.walls) / Math.min(...bare.walls),
    })),
  };
}

export async function benchOverhead(options: OverheadOptions): Promise<OverheadResult> {
  // Never connects: the success path must not need the server.
  const healer = new SelfHealing(new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), {
    taskQueue: 'bench',
    appTaskQueue: 'bench-app',
  });
  const baselines: Array<{ name: string; fn: AsyncFn }> = [
    { name: 'async (x) => x + 1', fn: async (x: number) => x + 1 },
    {
      name: 'async (x) => { await null; return x + 1 }',
      fn: async (x: number) => {
        await null;
        return x + 1;
      },
    },
    {
      // The smallest real asynchronous operation: one turn of the event loop.
      name: 'async (x) => { await setImmediate; return x + 1 }',
      fn: async (x: number) => {
        await new Promise((resolve) => setImmediate(resolve));
        return x + 1;
      },
    },
  ];
  const sections: OverheadSection[] = [];
  for (const baseline of baselines) sections.push(await runSection(healer, baseline, options, false));
  // A process that hosts a Temporal worker (the application's own) has AsyncLocalStorage in use,
  // which on Node 20 turns on promise hooks for every promise: measure that state too.
  const storage = new AsyncLocalStorage<number>();
  await storage.run(1, async () => {
    for (const baseline of baselines) sections.push(await runSection(healer, baseline, options, true));
  });
  return { options, sections };
}
