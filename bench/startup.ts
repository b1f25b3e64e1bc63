// Benchmark: `npm start` to ready on a second start (DATA_DIR already holds the database, the dev
// server's state and the workflow bundle), beside its floor, a bare `temporal server start-dev` to
// its first answer, in interleaved rounds of one run. The first start in a fresh DATA_DIR is timed
// once, as the warm-up. Ready: the worker printed its banner (the same line the lifecycle tests wait for).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitForTemporal } from '../lib/dev-server.js';
import { freePort } from '../lib/free-port.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { ensureTemporalBinary } from '../lib/temporal-binaries.js';
import { leftovers } from '../test/support/npm-start.js';
import { machine } from './lib/environment.js';
import { recordSection } from './lib/results-file.js';
import { fmt, median, table, verdict } from './lib/stats.js';

export interface StartupResult {
  rounds: number;
  firstStartMs: number;
  npmStartMs: number[];
  floorMs: number[];
  loadBefore: number[];
  loadAfter: number[];
}

const READY_LINE = 'Health checks every';
const TARGET_MS = 3_000;

async function timeNpmStart(dataDir: string): Promise<number> {
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
  const readyMs = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY_LINE)) resolve(performance.now() - started);
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  process.kill(-child.pid!, 'SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
  const left = await leftovers(child.pid!, dataDir, Object.values(ports));
  if (left.group || left.processes.length || left.ports.length)
    throw new Error(`npm start left ${JSON.stringify(left)}`);
  return readyMs;
}

/** The floor: the dev server alone, on a database file it already created, to its first answer. */
async function timeDevServer(binary: string, dbFilename: string): Promise<number> {
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
    return performance.now() - started;
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
    const firstStartMs = await timeNpmStart(dataDir);
    await timeDevServer(binary, floorDb); // creates its database file, as the first start did
    const npmStartMs: number[] = [];
    const floorMs: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Alternating order: neither subject always runs right after the other's exit.
      const pair = [
        async () => npmStartMs.push(await timeNpmStart(dataDir)),
        async () => floorMs.push(await timeDevServer(binary, floorDb)),
      ];
      if (round % 2) pair.reverse();
      for (const run of pair) await run();
      console.log(
        `round ${round + 1}: npm start ${fmt(npmStartMs.at(-1)!, 0)} ms, dev server ${fmt(floorMs.at(-1)!, 0)} ms`,
      );
    }
    return { rounds: options.rounds, firstStartMs, npmStartMs, floorMs, loadBefore, loadAfter: machine().loadAverage };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function startupSection(result: StartupResult): string {
  const row = (subject: string, values: number[], target: string) => [
    subject,
    values.length,
    fmt(median(values), 0),
    fmt(Math.min(...values), 0),
    fmt(Math.max(...values), 0),
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
      ['subject', 'runs', 'median ms', 'min ms', 'max ms', 'target'],
      [
        row('second `npm start` to ready', result.npmStartMs, verdict(median(result.npmStartMs) <= TARGET_MS)),
        row('floor: `temporal server start-dev` to its first answer', result.floorMs, ''),
      ],
    ),
    '',
    `Ratio of the medians: ${fmt(ratio, 2)}× the floor. First start in a fresh DATA_DIR (creates the database, ` +
      `bundles the workflows; the Temporal CLI already installed): ${fmt(result.firstStartMs, 0)} ms.`,
  ].join('\n');
}

/** `npm run bench -- --only=startup` records its section in bench/results.md (not with --quick). */
export async function benchStartup(options: { quick: boolean }): Promise<string> {
  const section = startupSection(await measureStartup({ rounds: options.quick ? 2 : 5 }));
  if (!options.quick) recordSection(section);
  return section;
}
