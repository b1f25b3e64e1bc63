// Benchmark 1: what withSelfHealing adds to a successful call. No Temporal server is needed:
// the success path never touches the client (a lazy connection that is never opened).
//
// Method: every subject runs the same awaited loop (a separate compiled loop per subject so
// V8's type feedback of one does not pollute another), subjects interleaved in a rotating
// order within each round, warm-up rounds discarded, the median of many rounds reported;
// the ratio is the median of the per-round ratios (subject / bare call of the same round).
// Beside the shipped wrapper: the floor any wrapper that can catch a rejection has, and the peer
// libraries an application would otherwise wrap the same call with (nothing fails here).
import { AsyncLocalStorage } from 'node:async_hooks';
import { loadavg } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, wrap } from 'cockatiel';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
  /** Median over rounds of (this subject's ratio / the floor's ratio of the same round). */
  ratioToFloor: number;
  /** Median over rounds of (this subject's ratio / withSelfHealing's ratio of the same round). */
  ratioToOurs: number;
  /** A peer library, not ours. */
  peer: boolean;
}

/** The subjects' names the report refers to. */
export const SUBJECT = {
  bare: 'bare call',
  ours: 'withSelfHealing',
  ourCached: 'withSelfHealing, cacheResults: true',
  floor: 'floor: one derived promise, fixed arity, shared handler',
} as const;

export interface OverheadSection {
  baseline: string;
  asyncHooks: boolean;
  results: SubjectResult[];
}

export interface OverheadResult {
  options: OverheadOptions;
  sections: OverheadSection[];
  date: string;
  loadBefore: number[];
  loadAfter: number[];
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
  peer: boolean;
}

/**
 * ns per call of one sample. CPU time of this process (user + system), not wall time: on a
 * shared machine other processes preempt us, and wall time would count their work as ours.
 * The loop is single-threaded and never waits on I/O except the setImmediate baseline, whose
 * idle wait is not part of either side's cost anyway. Process CPU time also counts V8's
 * background threads (GC, JIT), so the fastest wall-clock sample is kept as a cross-check.
 */
async function measure(subject: Subject, n: number, clock: Clock): Promise<number> {
  collectGarbage(); // each sample pays for its own garbage only, not for the previous subject's
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

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;
/**
 * A scavenge of the young generation, where a sample's garbage lives (the peers leave far more per
 * call than the rest): a synchronous pause that leaves no concurrent sweeping behind to be counted
 * in the next sample's process CPU time, as a full collection would.
 */
const collectGarbage = () => gc({ type: 'minor' });

interface SubjectSpec {
  name: string;
  fn: AsyncFn;
  peer?: boolean;
}

/**
 * The shipped wrapper, with and without cacheResults; the floor any wrapper that can catch a
 * rejection has: one derived promise (fn(x).then(undefined, handler)) and nothing else; and the
 * peers, each set up as its documentation shows for wrapping a call for resilience.
 */
function subjectsFor(healer: SelfHealing, base: AsyncFn): { subjects: SubjectSpec[]; close: () => void } {
  const onError = (error: unknown): never => {
    throw error;
  };
  // cockatiel's own README example: retry 3 times with exponential backoff, through a breaker.
  const cockatiel = wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  );
  // opossum with its defaults (a 10 s timeout per call, rolling statistics).
  const opossum = new CircuitBreaker(base);
  return {
    subjects: [
      { name: SUBJECT.bare, fn: base },
      { name: SUBJECT.ours, fn: healer.withSelfHealing(`bench.${Math.random()}`, base) },
      {
        name: SUBJECT.ourCached,
        fn: healer.withSelfHealing(`bench.${Math.random()}`, base, { cacheResults: true }),
      },
      { name: SUBJECT.floor, fn: (x: number) => base(x).then(undefined, onError) },
      {
        name: 'cockatiel 3: wrap(retry(handleAll, 3 attempts, exponential backoff), circuitBreaker(consecutive 5)).execute',
        fn: (x: number) => cockatiel.execute(() => base(x)),
        peer: true,
      },
      {
        name: 'opossum 9: new CircuitBreaker(fn) (defaults), .fire(x)',
        fn: (x: number) => opossum.fire(x),
        peer: true,
      },
      {
        name: 'p-retry 7: pRetry(() => fn(x), { retries: 3 })',
        fn: (x: number) => pRetry(() => base(x), { retries: 3 }),
        peer: true,
      },
    ],
    close: () => opossum.shutdown(),
  };
}

async function runSection(
  healer: SelfHealing,
  baseline: { name: string; fn: AsyncFn },
  options: OverheadOptions,
  asyncHooks: boolean,
): Promise<OverheadSection> {
  const specs = subjectsFor(healer, baseline.fn);
  const subjects: Subject[] = specs.subjects.map((subject) => ({
    name: subject.name,
    fn: subject.fn,
    peer: subject.peer ?? false,
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
  specs.close();
  for (let round = 0; round < options.rounds; round++) bare.ratios.push(1);
  // Every subject but the bare call has one ratio per measured round, in round order.
  const floor = subjects.find((subject) => subject.name === SUBJECT.floor)!;
  const ours = subjects.find((subject) => subject.name === SUBJECT.ours)!;
  const relative = (subject: Subject, reference: Subject) =>
    median(subject.ratios.map((ratio, round) => ratio / reference.ratios[round]!));
  return {
    baseline: baseline.name,
    asyncHooks,
    results: subjects.map((subject) => ({
      name: subject.name,
      nsPerOp: median(subject.samples),
      ratio: median(subject.ratios),
      minWallNsPerOp: Math.min(...subject.walls),
      minWallRatio: Math.min(...subject.walls) / Math.min(...bare.walls),
      ratioToFloor: relative(subject, floor),
      ratioToOurs: relative(subject, ours),
      peer: subject.peer,
    })),
  };
}

export async function benchOverhead(options: OverheadOptions): Promise<OverheadResult> {
  const date = new Date().toISOString();
  const loadBefore = loadavg();
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
  return { options, sections, date, loadBefore, loadAfter: loadavg() };
}
