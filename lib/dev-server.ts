// Runs a local Temporal dev server (with its Web UI) as a child process: used by the main
// command when no server is reachable, and by the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes.js';
import { ensureTemporalBinary } from './temporal-binaries.js';

export interface DevServerOptions {
  host?: string;
  port: number;
  uiPort?: number;
  /** SQLite file that keeps workflows and schedules across restarts; in-memory when absent. */
  dbFilename?: string;
  namespace?: string;
  startupTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const SEARCH_ATTRIBUTE_TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', TEXT: 'Text', INT: 'Int' };

function devServerArgs(options: DevServerOptions, host: string): string[] {
  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--log-level', 'error'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.uiPort) args.push('--ui-port', String(options.uiPort));
  else args.push('--headless');
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  for (const key of CUSTOM_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_TYPE_NAMES[key.type] ?? 'Keyword'}`);
  }
  return args;
}

/** Resolves once the server answers on `address`, or throws after `timeoutMs`. */
export async function waitForTemporal(address: string, timeoutMs: number, isAlive = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.close();
      return;
    } catch (error) {
      if (!isAlive()) throw new Error(`Temporal dev server exited before answering on ${address}`);
      if (Date.now() > deadline) throw new Error(`Temporal server at ${address} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const binary = ensureTemporalBinary('temporal');
  // Its own process group: Ctrl-C reaches only us, and we stop the server after the worker drained.
  const child = spawn(binary, devServerArgs(options, host), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `${host}:${options.port}`;
  try {
    await waitForTemporal(address, options.startupTimeoutMs ?? 30_000, () => child.exitCode === null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim().split('\n').pop()}` : ''}`);
  }
  return {
    address,
    uiUrl: options.uiPort ? `http://${host}:${options.uiPort}` : undefined,
    process: child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killTimer);
    },
  };
}
