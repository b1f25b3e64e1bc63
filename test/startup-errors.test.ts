// Bad configuration stops the main command before it starts anything: exit code 1, one line on
// stderr that names the setting and never a password or token, and nothing left running.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/free-port.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { heal } from './support/heal-cli.js';
import { leftovers, systemEnv, systemPorts, type SystemPorts } from './support/npm-start.js';

const SECRET = 'S3cret-pw-9f2c';
const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
let squatter: net.Server;
let squattedPort: number;
const dataDirs: string[] = [];

beforeAll(async () => {
  squattedPort = await freePort();
  squatter = net.createServer((socket) => {
    socket.on('error', () => undefined); // the start-up probe hangs up abruptly
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  await new Promise<void>((resolve) => squatter.listen(squattedPort, '127.0.0.1', resolve));
});

afterAll(() => {
  squatter.close();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

interface Refusal {
  code: number | null;
  stdout: string;
  stderr: string;
  leftovers: Awaited<ReturnType<typeof leftovers>>;
}

/** Starts the worker on ports and a DATA_DIR of its own, with `env` on top; waits until it exits. */
async function startWith(env: (ports: SystemPorts) => Record<string, string>): Promise<Refusal> {
  const ports = await systemPorts();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'selfheal-refusal-'));
  dataDirs.push(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...systemEnv(dataDir, ports), ...env(ports) },
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const left = await leftovers(child.pid!, dataDir, [ports.temporal, ports.ui, ports.dashboard], 2_000);
  return { code, stdout, stderr, leftovers: left };
}

/** Exit code 1, exactly `line` on stderr and nothing else, no secret anywhere, nothing left behind. */
function expectRefusal(result: Refusal, line: string | RegExp): void {
  const output = `${result.stdout}\n${result.stderr}`;
  const lines = result.stderr.split('\n').filter((text) => text.trim());
  expect(lines, output).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(result.code, output).toBe(1);
  expect(output).not.toContain(SECRET);
  expect(result.leftovers).toEqual({ group: false, processes: [], ports: [] });
}

describe('start-up with bad configuration', () => {
  it('rejects a malformed TEMPORAL_ADDRESS', async () => {
    const result = await startWith(() => ({ TEMPORAL_ADDRESS: 'not an address' }));
    expectRefusal(result, 'error: Invalid configuration: TEMPORAL_ADDRESS must be host:port, e.g. 127.0.0.1:7233');
  });

  it('names the port in use when it is not a Temporal server', async () => {
    const result = await startWith(() => ({ TEMPORAL_ADDRESS: `127.0.0.1:${squattedPort}` }));
    expectRefusal(
      result,
      `error: Port ${squattedPort} is in use by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS`,
    );
  });

  it.each([
    ['a scheme-less URL whose user-info parses as a scheme', `u:${SECRET}@db:5432/x`],
    ['a MySQL URL', `mysql://root:${SECRET}@127.0.0.1:3306/healing`],
  ])('refuses %s as DATABASE_URL without printing it', async (_, databaseUrl) => {
    const result = await startWith(() => ({ DATABASE_URL: databaseUrl }));
    expectRefusal(result, 'error: Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL');
  });

  it('explains an unreachable DATABASE_URL without its password, before starting a Temporal server', async () => {
    const closedPort = await freePort();
    const result = await startWith(() => ({
      DATABASE_URL: `postgres://app:${SECRET}@127.0.0.1:${closedPort}/healing`,
    }));
    expectRefusal(
      result,
      `error: Cannot connect to PostgreSQL at 127.0.0.1:${closedPort}/healing: ECONNREFUSED — is it running? Check DATABASE_URL`,
    );
  });

  it('refuses a DASHBOARD_TOKEN that is too short, without printing it', async () => {
    const result = await startWith(() => ({ DASHBOARD_TOKEN: SECRET }));
    expectRefusal(result, /^error: DASHBOARD_TOKEN is too short \(14 characters\)/);
  });

  it('refuses a dashboard reachable from other machines without a token', async () => {
    const result = await startWith(() => ({ DASHBOARD_HOST: '0.0.0.0' }));
    expectRefusal(result, /^error: DASHBOARD_TOKEN is not set/);
  });

  it.each([
    ['DASHBOARD_PORT', () => ({ DASHBOARD_PORT: String(squattedPort) })],
    ['TEMPORAL_UI_PORT', () => ({ TEMPORAL_UI_PORT: String(squattedPort) })],
    ['CODEC_SERVER_PORT', () => ({ PAYLOAD_ENCRYPTION_KEY: ENCRYPTION_KEY, CODEC_SERVER_PORT: String(squattedPort) })],
  ])('names %s when that port is in use, before starting anything', async (setting, env) => {
    const result = await startWith(env);
    expectRefusal(
      result,
      `error: Port ${squattedPort} on 127.0.0.1 (${setting}) is already in use; free it or set ${setting}`,
    );
  });

  it('refuses a codec endpoint on a non-loopback address without a token', async () => {
    const result = await startWith(() => ({ PAYLOAD_ENCRYPTION_KEY: ENCRYPTION_KEY, CODEC_SERVER_HOST: '0.0.0.0' }));
    expectRefusal(
      result,
      'error: Invalid configuration: CODEC_SERVER_TOKEN must be set: the codec endpoint would listen on 0.0.0.0, ' +
        'not a loopback address, and decrypt payloads for any caller',
    );
  });

  it('refuses a DATA_DIR that cannot be created', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'selfheal-file-')), 'plain-file');
    dataDirs.push(path.dirname(file));
    writeFileSync(file, 'not a directory');
    const result = await startWith(() => ({ DATA_DIR: path.join(file, 'data') }));
    expectRefusal(
      result,
      `error: DATA_DIR ${path.join(file, 'data')} cannot be created or written (ENOTDIR); set DATA_DIR to a writable directory`,
    );
  });
});

describe('heal with a bad database URL', () => {
  it.each([
    ['a scheme-less URL', `u:${SECRET}@db:5432/x`, 'error: DATABASE_URL must be a postgres:// or postgresql:// URL'],
    [
      'an unreachable server',
      `postgres://app:${SECRET}@127.0.0.1:1/healing?password=${SECRET}`,
      'error: Cannot connect to PostgreSQL at 127.0.0.1:1/healing',
    ],
  ])('explains %s without its password', async (_, databaseUrl, line) => {
    const { code, stdout, stderr } = await heal(['stats', '--database-url', databaseUrl], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringContaining(line)]);
    expect(`${stdout}${stderr}`).not.toContain(SECRET);
  });
});
