// `npm run bench` — the five figures of issue 8, each printed with its target (no pass/fail):
//   1. success-path cost of withSelfHealing vs the floor and peers (target ≤ 1.15× the floor, issue 14)
//   2. error-to-healed latency, p50/p95/p99, dev server + PostgreSQL (target p50 ≤ 50 ms)
//   3. healing throughput, 1 and 2 central workers                (target ≥ 100 runs/s with 1)
//   4. storm: 10,000 failures of one signature within 10 s
//   5. health-check cycle time, all healthy and one check hung
//   6. the audit trail at 1 M and 10 M events: `--only=scale`
//   7. a healing run against Temporal's own floor (issue 14): `--only=floor`
//   8. a second `npm start` to ready against a bare dev server: `--only=startup`
//   9. secret redaction: what the sanitizer costs and catches (runs with the default set)
// Each section measured replaces its own in results.md (the others stay); `--out=FILE` writes the
// run to FILE instead; `npm run bench -- --quick` is a smoke run (small counts, written nowhere).
// Options: --only=overhead,latency,throughput,storm,health,sanitize,scale,floor,startup   --out=FILE
//          --tuning='{"maxCachedWorkflows":500}'
import { parseArgs as parseArgv } from 'node:util';
import { writeFileSync } from 'node:fs';
import { benchFloor, floorSection } from './floor.js';
import { benchHealth, type HealthResult } from './health.js';
import { benchLatency, type LatencyResult } from './latency.js';
import { machine, startBenchEnvironment, type BenchEnvironment } from './lib/environment.js';
import { recordHeader, recordSection } from './lib/results-file.js';
import { fmt, mb, table, verdict } from './lib/stats.js';
import { benchOverhead, SUBJECT, type OverheadResult } from './overhead.js';
import { benchSanitize } from './sanitize.js';
import { benchScale } from './scale.js';
import { benchStartup } from './startup.js';
import { benchStorm, type StormResult } from './storm.js';
import { benchThroughput, type ThroughputResult } from './throughput.js';
import type { WorkerTuning } from '../test/support/worker-entry.js';

const BENCHES = [
  'overhead',
  'latency',
  'throughput',
  'storm',
  'health',
  'sanitize',
  'scale',
  'floor',
  'startup',
] as const;
/** Run only when asked for: they take their own servers and minutes, and record their own section. */
const ON_REQUEST: readonly Bench[] = ['scale', 'floor', 'startup'];
type Bench = (typeof BENCHES)[number];

function parseArgs(argv: string[]) {
  const { values } = parseArgv({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      tuning: { type: 'string' },
    },
  });
  const quick = values.quick;
  // scale (the audit trail at 1 M and 10 M rows, ~15 min), floor (~10 min) and startup run only when asked for.
  const selected = values.only?.split(',').filter(Boolean) ?? BENCHES.filter((name) => !ON_REQUEST.includes(name));
  for (const name of selected) {
    if (!BENCHES.includes(name as Bench)) throw new Error(`unknown benchmark ${name}; one of ${BENCHES.join(', ')}`);
  }
  const only = selected as Bench[];
  const out = values.out;
  const tuning = values.tuning ? (JSON.parse(values.tuning) as WorkerTuning) : undefined;
  return { quick, only, onlyAsked: values.only !== undefined, out, tuning };
}

const sizes = (quick: boolean) =>
  quick
    ? {
        overhead: { iterations: 20_000, rounds: 5, warmupRounds: 1 },
        latency: { runs: 30, warmup: 5 },
        throughput: 150,
        storm: { failures: 500, withinSeconds: 5 },
        healthCycles: 3,
        floor: { runs: 20, warmup: 3, backlog: 100 },
      }
    : {
        overhead: { iterations: 50_000, rounds: 21, warmupRounds: 3 },
        latency: { runs: 300, warmup: 20 },
        throughput: 1_000,
        storm: { failures: 10_000, withinSeconds: 10 },
        healthCycles: 10,
        floor: { runs: 100, warmup: 10, backlog: 500 },
      };

function log(line = ''): void {
  console.log(line);
}

const OVERHEAD_HEADING = '## 1. Success-path cost of withSelfHealing';
/** Issue 14: withSelfHealing's success path against the floor, in the default configuration. */
const OVERHEAD_TARGET = 1.15;

function overheadSection(result: OverheadResult): string {
  const { iterations, warmupRounds, rounds } = result.options;
  const load = (values: number[]) => values.map((value) => fmt(value, 2)).join(', ');
  const lines = [
    OVERHEAD_HEADING,
    '',
    `Target (issue 14): withSelfHealing ≤ ${OVERHEAD_TARGET}× the floor, the cheapest wrapper that can catch a rejection ` +
      '(`fn(x).then(undefined, handler)`: one derived promise, fixed arity, one shared handler), in the default configuration ' +
      '(no cacheResults); and the peer libraries, wrapping the same call with no failure happening, for comparison. ' +
      `Method: ${iterations.toLocaleString('en-US')} awaited calls per sample, ${warmupRounds} warm-up rounds discarded, ${rounds} rounds; ` +
      "each subject's sample is taken right next to a bare-call sample (order alternating, subjects rotating), its own compiled loop, " +
      'a young-generation collection before each sample (so a sample pays for its own garbage), process CPU time (not wall time: ' +
      'the machine is shared). ns/op and ratios are medians over rounds; "× floor" and "× withSelfHealing" are medians of the per-round ' +
      'quotients of the paired ratios. ' +
      `Run ${result.date}; load average before: ${load(result.loadBefore)}; after: ${load(result.loadAfter)} (2 cores, shared). ` +
      "(Issue 8's ≤ 1.05× the bare call is below what any wrapper able to catch a rejection costs when the call does no I/O: " +
      'see the floor. p-retry spends most of its time in its own body, copying and defaulting its options on every call.)',
  ];
  for (const section of result.sections) {
    const row = (name: string) => section.results.find((result) => result.name === name)!;
    const ours = row(SUBJECT.ours);
    const peers = section.results.filter((result) => result.peer);
    lines.push(
      '',
      `**Baseline \`${section.baseline}\`${section.asyncHooks ? ', AsyncLocalStorage active (a process hosting a Temporal worker)' : ''}**`,
      '',
      table(
        [
          'subject',
          'CPU ns/op (median)',
          '× bare call (median of paired)',
          '× floor',
          '× withSelfHealing',
          'wall ns/op (fastest)',
          '× bare call (fastest wall)',
        ],
        section.results.map((result) => [
          result.name,
          fmt(result.nsPerOp),
          fmt(result.ratio, 3),
          fmt(result.ratioToFloor, 3),
          fmt(result.ratioToOurs, 2),
          fmt(result.minWallNsPerOp),
          fmt(result.minWallRatio, 3),
        ]),
      ),
      '',
      `withSelfHealing: **${fmt(ours.ratioToFloor, 3)}× the floor** (target ≤ ${OVERHEAD_TARGET}×: ${verdict(ours.ratioToFloor <= OVERHEAD_TARGET)}); ` +
        `with cacheResults ${fmt(row(SUBJECT.ourCached).ratioToFloor, 2)}× (no target). ` +
        `Each peer's CPU per call, × withSelfHealing's: ${peers.map((peer) => `${peer.name.split(':')[0]} ${fmt(peer.ratioToOurs, 1)}×`).join(', ')}.`,
    );
  }
  return lines.join('\n');
}

function latencySection(result: LatencyResult): string {
  return [
    '## 2. Error-to-healed latency',
    '',
    `Target: p50 ≤ 50 ms. A wrapped call fails once with \`read ECONNRESET …\` (a signature learned in ${result.warmup} warm-up runs: ` +
      `diagnosis sources ${JSON.stringify(result.diagnosisSources)}); RETRY_WITH_BACKOFF's first re-run on the app worker succeeds, ` +
      "so the retry policy's initialInterval (1 s) is never waited. One call at a time; measured from the call to the healed value in the caller's hands.",
    '',
    table(
      ['runs', 'p50 ms', 'p95 ms', 'p99 ms', 'min ms', 'max ms', 'target p50 ≤ 50 ms'],
      [
        [
          result.runs,
          fmt(result.p50),
          fmt(result.p95),
          fmt(result.p99),
          fmt(result.min),
          fmt(result.max),
          verdict(result.p50 <= 50),
        ],
      ],
    ),
    '',
    `Per run: ${result.workflowTasksPerRun} workflow tasks, ${result.localActivitiesPerRun} local activities, ${result.activitiesPerRun} activity, ${result.historyEventsPerRun} history events. Where the time goes (medians over the last 50 runs, from their histories):`,
    '',
    table(
      ['phase', 'median ms'],
      result.phases.map((phase) => [phase.phase, fmt(phase.medianMs)]),
    ),
  ].join('\n');
}

function throughputSection(results: ThroughputResult[]): string {
  const groups = Object.keys(results[0]?.cpuMsPerRun ?? {});
  return [
    '## 3. Healing throughput',
    '',
    'Target: ≥ 100 completed healing runs/s with one central worker. A backlog of N runs (transient error, healed by the first re-run) is started ' +
      'with no central worker running; then the worker process(es) start and the backlog drains: runs / (last run closed − workers polling). ' +
      'CPU ms per run are the CPU seconds each process group used during the drain, divided by N; "CPU-bound capacity" is the number of cores ' +
      'divided by the total, i.e. what this machine could do if nothing else ran on it.',
    '',
    table(
      [
        'central workers',
        'runs',
        'runs/s',
        'target ≥ 100/s',
        'drain s',
        'CPU-bound capacity /s',
        'load avg',
        'worker peak RSS',
        ...groups.map((group) => `CPU ms/run: ${group}`),
      ],
      results.map((result) => [
        result.workers,
        result.runs,
        fmt(result.perSecond),
        result.workers === 1 ? verdict(result.perSecond >= 100) : '',
        fmt(result.drainSeconds),
        fmt(result.cpuBoundCapacityPerSecond),
        fmt(result.loadAverage, 2),
        result.workerPeakRssBytes.map(mb).join(', '),
        ...groups.map((group) => fmt(result.cpuMsPerRun[group] ?? Number.NaN)),
      ]),
    ),
    '',
    `Start rate while building the backlog: ${results.map((result) => fmt(result.startsPerSecond)).join(', ')} starts/s. All runs healed: ${results.map((result) => `${result.healed}/${result.runs}`).join(', ')}.`,
  ].join('\n');
}

function stormSection(result: StormResult): string {
  return [
    '## 4. Storm',
    '',
    `${result.failures.toLocaleString('en-US')} calls of one wrapped operation fail with the same fault (ECONNREFUSED to its gateway) within ${fmt(result.generationSeconds)} s; ` +
      'allowed strategy RETRY_WITH_BACKOFF with one attempt, so every run fails and wants to alert. Real LLM diagnoser against a fake OpenAI server ' +
      `(hourly budget raised to ${result.llmBudgetPerHour.toLocaleString('en-US')} so storm control is what is measured, not the budget), real notifier against a fake Resend server. ` +
      `Client admission limits (the defaults): ${result.admission.perSignature} runs per signature, ${result.admission.total} in all; callers wait at most 2 s.`,
    '',
    table(
      ['figure', 'value'],
      [
        ['failures (calls)', result.failures],
        ['caller outcomes (healingOutcome)', JSON.stringify(result.callerOutcomes)],
        ['healing workflows started (admitted failures)', result.workflowsStarted],
        ['occurrence log runs (the others, recorded in batches)', result.occurrenceLogRuns],
        ['healing_events rows (expected: all failures)', result.eventsRecorded],
        ['healing_events rows by result', JSON.stringify(result.eventsByResult)],
        ['failures not recorded', result.lost],
        ["callers' update-with-start RPCs", JSON.stringify(result.startRpcs)],
        [
          'figures taken',
          `${fmt(result.settleSeconds)} s after the last failure${result.settledCleanly ? ' (all runs closed, every failure recorded)' : ' (cap reached: runs open or failures unrecorded)'}`,
        ],
        ['healing workflows completed', result.workflowsCompleted],
        ['diagnosis sources', JSON.stringify(result.diagnosisSources)],
        ['LLM calls (requests at the fake OpenAI server)', result.llmCalls],
        ['e-mails sent (distinct, at the fake Resend server)', result.emailsSent],
        ['notification decisions', JSON.stringify(result.notificationDecisions)],
        ['first failure → last healing run closed', `${fmt(result.drainSeconds)} s`],
        ...Object.entries(result.peakRssBytes).map(([name, bytes]) => [`peak RSS: ${name}`, mb(bytes)]),
      ],
    ),
  ].join('\n');
}

function healthSection(result: HealthResult): string {
  return [
    '## 5. Health-check cycle time',
    '',
    'One run of the health-check workflow (heal: false) on a central worker process: LLM API, Resend, Twilio, file service and two HTTP checks against fake ' +
      `servers answering at once, plus database, error rate and memory. "One hung": the \`search\` HTTP check never answers (its timeout: ${result.hungCheckTimeoutMs} ms).`,
    '',
    table(
      ['case', 'cycles', 'median ms', 'p95 ms', 'overall status', 'checks', 'slowest check (median cycle)'],
      [result.healthy, result.oneHung].map((cycle) => [
        cycle.label,
        cycle.cycles,
        fmt(cycle.medianMs),
        fmt(cycle.p95Ms),
        JSON.stringify(cycle.overall),
        cycle.checks,
        cycle.slowestCheck,
      ]),
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const size = sizes(args.quick);
  const host = machine();
  const header = [
    `# Benchmark results${args.quick ? ' (quick run)' : ''}`,
    '',
    `Machine: ${host.cpus} CPUs (${host.cpuModel}), ${host.memoryGb} GB RAM, Node ${host.node}, ${host.platform}. ` +
      `Load average at start: ${host.loadAverage.join(', ')} (the machine is shared with other work: see the CPU-time figures).`,
    `Date: ${new Date().toISOString()}. Temporal dev server (SQLite, in memory) and PostgreSQL on the same machine.`,
  ].join('\n');
  log(header);
  const sections: string[] = [header];
  const emit = (section: string) => {
    log();
    log(section);
    sections.push(section);
  };

  if (args.only.includes('overhead')) emit(overheadSection(await benchOverhead(size.overhead)));
  if (args.only.includes('sanitize')) emit(await benchSanitize({ rounds: args.quick ? 3 : 7 }));
  if (args.only.includes('scale')) emit(await benchScale({ quick: args.quick }));
  if (args.only.includes('startup')) emit(await benchStartup({ quick: args.quick }));
  // The start-up bench starts its own servers (npm start and bare dev servers).
  const needsServer = args.only.some((name) => !['overhead', 'sanitize', 'scale', 'startup'].includes(name));
  let env: BenchEnvironment | undefined;
  try {
    if (needsServer) env = await startBenchEnvironment();
    if (env && args.only.includes('latency'))
      emit(latencySection(await benchLatency(env, { ...size.latency, tuning: args.tuning })));
    if (env && args.only.includes('throughput')) {
      const results: ThroughputResult[] = [];
      for (const workers of [1, 2])
        results.push(await benchThroughput(env, { runs: size.throughput, workers, tuning: args.tuning }));
      emit(throughputSection(results));
    }
    if (env && args.only.includes('storm'))
      emit(stormSection(await benchStorm(env, { ...size.storm, tuning: args.tuning })));
    if (env && args.only.includes('health')) emit(healthSection(await benchHealth(env, { cycles: size.healthCycles })));
    if (env && args.only.includes('floor'))
      emit(floorSection(await benchFloor(env, { ...size.floor, tuning: args.tuning })));
  } finally {
    await env?.close();
  }
  const footer = `Load average at the end: ${machine().loadAverage.join(', ')}.`;
  emit(footer);
  if (args.out) {
    writeFileSync(args.out, `${sections.join('\n\n')}\n`);
    log(`\nWritten to ${args.out}`);
  } else if (!args.quick) {
    // Each section measured replaces its own in results.md; the default set also dates the header.
    if (!args.onlyAsked) recordHeader(header);
    for (const section of sections) if (section.startsWith('## ')) recordSection(section);
  }
}

await main();
