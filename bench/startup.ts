// Benchmark: `npm start` to ready on a second start (DATA_DIR already holds the database, the dev
// server's state and the workflow bundle), beside its floor, a bare `temporal server start-dev` to
// its first answer, in interleaved rounds of one run. The first start in a fresh DATA_DIR is timed
// once, as the warm-up. Ready: the worker printed its banner (the same line the lifecycle tests wait for).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForTemporal } from '../lib/dev-server.js';
import { freePort } from '../lib/free-port.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { ensureTemporalBinary } from '../lib/temporal-binaries.js';
import { leftovers } from '../test/support/npm-start.js';
import { machine } from './lib/environment.js';
import { fmt, median, table, verdict } from './lib/stats.js';

export interface StartupResult {
  rounds: number;
  firstStartMs: number;
  npmStartMs: number[];
  floorMs: number[];
  /** CPU time used up to ready: npm start's process group (npm, node, esbuild), and the bare dev server. */
  npmStartCpuMs: number[];
  floorCpuMs: number[];
  loadBefore: number[];
  loadAfter: number[];
}

const READY_LINE = 'Health checks every';

/** User + system CPU time (ms) used so far by the processes whose stat passes `pick` (Linux /proc; 0 elsewhere). */
function cpuMs(pick: (pid: number, group: number) => boolean): number {
  let ticks = 0;
  for (const entry of process.platform === 'linux' ? readdirSync('/proc') : []) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (pick(Number(entry), Number(fields[2]))) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited meanwhile
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const TARGET_MS = 3_000;

async function timeNpmStart(dataDir: string): Promise<{ ms: number; cpuMs: number }> {
  const ports = { temporal: await freePort(), ui: await freePort(), dashboard: await freePort() };
  const started = performance.now();
  const child = spawn('npm', ['start'], {
    cwd: PROJECT_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      TEMPORAL_UI_PORT: String(ports.ui),
      DASHBOARD_PORT: String(ports.dashboard),
      LOG_LEVEL: 'warn',
    },
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const ready = await new Promise<{ ms: number; cpuMs: number }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY_LINE))
        resolve({ ms: performance.now() - started, cpuMs: cpuMs((_pid, group) => group === child.pid) });
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  process.kill(-child.pid!, 'SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  const left = await leftovers(child.pid!, dataDir, Object.values(ports));
  if (left.group || left.processes.length || left.ports.length)
    throw new Error(`npm start left ${JSON.stringify(left)}`);
  return ready;
}

/** The floor: the dev server alone, on a database file it already created, to its first answer. */
async function timeDevServer(binary: string, dbFilename: string): Promise<{ ms: number; cpuMs: number }> {
  const port = await freePort();
  const uiPort = await freePort();
  const started = performance.now();
  const child = spawn(
    binary,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)].concat([
      '--db-filename',
      dbFilename,
      '--log-level',
      'error',
    ]),
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await waitForTemporal(`127.0.0.1:${port}`, 60_000, () => child.exitCode === null);
    return { ms: performance.now() - started, cpuMs: cpuMs((pid) => pid === child.pid) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export async function measureStartup(options: { rounds: number }): Promise<StartupResult> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'bench-startup-'));
  const dataDir = path.join(scratch, 'data');
  const floorDb = path.join(scratch, 'floor.sqlite');
  const binary = ensureTemporalBinary('temporal');
  const loadBefore = machine().loadAverage;
  try {
    const firstStartMs = (await timeNpmStart(dataDir)).ms;
    await timeDevServer(binary, floorDb); // creates its database file, as the first start did
    const [npmStartMs, floorMs, npmStartCpuMs, floorCpuMs]: [number[], number[], number[], number[]] = [[], [], [], []];
    for (let round = 0; round < options.rounds; round++) {
      // Alternating order: neither subject always runs right after the other's exit.
      const pair = [
        async () => {
          const { ms, cpuMs } = await timeNpmStart(dataDir);
          npmStartMs.push(ms);
          npmStartCpuMs.push(cpuMs);
        },
        async () => {
          const { ms, cpuMs } = await timeDevServer(binary, floorDb);
          floorMs.push(ms);
          floorCpuMs.push(cpuMs);
        },
      ];
      if (round % 2) pair.reverse();
      for (const run of pair) await run();
      console.log(
        `round ${round + 1}: npm start ${fmt(npmStartMs.at(-1)!, 0)} ms, dev server ${fmt(floorMs.at(-1)!, 0)} ms`,
      );
    }
    const loadAfter = machine().loadAverage;
    return {
      rounds: options.rounds,
      firstStartMs,
      npmStartMs,
      floorMs,
      npmStartCpuMs,
      floorCpuMs,
      loadBefore,
      loadAfter,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function startupSection(result: StartupResult): string {
  const row = (subject: string, values: number[], cpu: number[], target: string) => [
    subject,
    values.length,
    fmt(median(values), 0),
    fmt(Math.min(...values), 0),
    fmt(Math.max(...values), 0),
    fmt(median(cpu), 0),
    target,
  ];
  const ratio = median(result.npmStartMs) / median(result.floorMs);
  return [
    '## 8. Start-up',
    '',
    `Target: a second \`npm start\` ready in ≤ ${TARGET_MS / 1000} s (issue 14). Measured side by side in one run, ` +
      `${result.rounds} interleaved rounds: \`npm start\` (DATA_DIR holding the embedded database, the dev server's ` +
      'state and the workflow bundle; ready = the banner printed, so the worker polls) and, as the floor, a bare ' +
      '`temporal server start-dev` on an existing database file to its first answer (both detected the same way: the ' +
      'port probed every 20 ms, backing off to 200 ms, then one gRPC call). Wall time from spawn; each start ' +
      `stopped with SIGINT and checked to leave nothing behind. Load average ${result.loadBefore.join(', ')} before, ` +
      `${result.loadAfter.join(', ')} after.`,
    '',
    table(
      ['subject', 'runs', 'median ms', 'min ms', 'max ms', 'CPU ms to ready (median)', 'target'],
      [
        row(
          'second `npm start` to ready',
          result.npmStartMs,
          result.npmStartCpuMs,
          verdict(median(result.npmStartMs) <= TARGET_MS),
        ),
        row('floor: `temporal server start-dev` to its first answer', result.floorMs, result.floorCpuMs, ''),
      ],
    ),
    '',
    `Ratio of the medians: ${fmt(ratio, 2)}× the floor. CPU time is the load-independent figure: \`npm start\`'s ` +
      'processes (npm, node, esbuild; not the dev server it starts), the dev server alone for the floor. ' +
      `First start in a fresh DATA_DIR (creates the database, ` +
      `bundles the workflows; the Temporal CLI already installed): ${fmt(result.firstStartMs, 0)} ms.`,
  ].join('\n');
}

/** `npm run bench -- --only=startup` records its section in bench/results.md (not with --quick). */
export async function benchStartup(options: { quick: boolean }): Promise<string> {
  const section = startupSection(await measureStartup({ rounds: options.quick ? 2 : 5 }));
  return section;
}
