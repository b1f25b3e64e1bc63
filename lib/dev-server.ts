// Runs a local Temporal dev server (with its Web UI) as a child process: used by the main
// command when no server is reachable, and by the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes.js';
import { ensureTemporalBinary, findOnPath } from './temporal-binaries.js';

export interface DevServerOptions {
  host?: string;
  port: number;
  uiPort?: number;
  /** SQLite file that keeps workflows and schedules across restarts; in-memory when absent. */
  dbFilename?: string;
  namespace?: string;
  startupTimeoutMs?: number;
  /** Records the server's and this process's pids, so a later start can name a server left behind. */
  pidFile?: string;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const SEARCH_ATTRIBUTE_TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int' };

/**
 * The history service reads its transfer queue (the tasks that hand a workflow or activity task
 * to matching) at most 20 times a second by default: on a dev server, whose one shard carries
 * every run, each hand-over then waits ~45 ms, three of them in a simple heal (bench/results.md,
 * section 7: a re-run skeleton took 141 ms, 22 ms with this). The compose stack's server gets the
 * same (deploy/temporal/dynamicconfig.yaml); another cluster sets its own (docs/deployment.md).
 */
const DEV_DYNAMIC_CONFIG = { 'history.transferProcessorMaxPollRPS': 1000 };

function devServerArgs(options: DevServerOptions, host: string): string[] {
  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--log-level', 'error'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  for (const key of CUSTOM_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_TYPE_NAMES[key.type] ?? 'Keyword'}`);
  }
  for (const [key, value] of Object.entries(DEV_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${key}=${value}`);
  return args;
}

/**
 * On Linux, util-linux's `setpriv --pdeathsig` (which then execs the server, so the child is the
 * server itself) has the kernel send SIGTERM to the server when this process dies, even by SIGKILL.
 * Elsewhere the pid file lets the next start name a server left behind.
 */
function commandDyingWithParent(binary: string, args: string[]): [string, string[]] {
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
  return setpriv ? [setpriv, ['--pdeathsig', 'SIGTERM', '--', binary, ...args]] : [binary, args];
}

/** Whether something accepts TCP connections at host:port now: a cheap probe, answered at once either way. */
function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Resolves once the server answers on `address`, or throws after `timeoutMs`. The port is probed
 * first, every 20 ms backing off to 200 ms: a gRPC connection to a refused port retries only after
 * its own one-second backoff, so it would notice a booting server up to a second late.
 */
export async function waitForTemporal(address: string, timeoutMs: number, isAlive = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const at = address.lastIndexOf(':');
  const [host, port] = [address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(at + 1))];
  for (let pause = 20; ; pause = Math.min(pause * 2, 200)) {
    try {
      if (await acceptsConnections(host, port)) {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        await connection.close();
        return;
      }
    } catch {
      // listening, but not answering yet
    }
    if (!isAlive()) throw new Error(`Temporal dev server exited before answering on ${address}`);
    if (Date.now() > deadline) throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

interface PidRecord {
  server: number;
  owner: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A dev server started by an earlier start (per `pidFile`) that still runs, and whether its starter does too. */
export function findLeftoverDevServer(
  pidFile: string,
): { pid: number; ownerPid: number; ownerAlive: boolean } | undefined {
  let record: PidRecord;
  try {
    record = JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(record.server) || !isAlive(record.server)) return undefined;
  // A recycled pid is not our server: on Linux, check it still runs `temporal server start-dev`.
  try {
    if (!readFileSync(`/proc/${record.server}/cmdline`, 'utf8').includes('start-dev')) return undefined;
  } catch {
    if (process.platform === 'linux') return undefined;
  }
  return { pid: record.server, ownerPid: record.owner, ownerAlive: isAlive(record.owner) };
}

/** Stops a server left behind by an earlier start: SIGTERM, then SIGKILL after 5 s. */
export async function stopLeftoverDevServer(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const [command, args] = commandDyingWithParent(ensureTemporalBinary('temporal'), devServerArgs(options, host));
  // Its own process group: Ctrl-C reaches only us, and we stop the server after the worker drained.
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { pidFile } = options;
  if (pidFile && child.pid) writeFileSync(pidFile, JSON.stringify({ server: child.pid, owner: process.pid }));
  const address = `${host}:${options.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killTimer);
    }
    if (pidFile) rmSync(pidFile, { force: true });
  };
  try {
    await waitForTemporal(address, options.startupTimeoutMs ?? 30_000, () => child.exitCode === null);
  } catch (error) {
    await stop();
    const lastLine = stderr ? `: ${stderr.trim().split('\n').pop()}` : '';
    throw new Error(`${(error as Error).message}${lastLine}`, { cause: error });
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${host}:${options.uiPort}` : undefined,
    process: child,
    stop,
  };
}
