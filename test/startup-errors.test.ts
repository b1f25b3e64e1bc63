// Bad configuration stops the main command with one actionable line, not a stack trace.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../lib/free-port.js';

const run = promisify(execFile);
let squatter: net.Server;
let squattedPort: number;

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
});

async function startWith(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error:') || /^\s+at /.test(line));
}

describe('start-up with bad configuration', () => {
  it('rejects a malformed TEMPORAL_ADDRESS', async () => {
    const { code, stderr } = await startWith({ TEMPORAL_ADDRESS: 'not an address' });
    expect(code).toBe(1);
    expect(errorLines(stderr)).toEqual(['error: Invalid configuration: TEMPORAL_ADDRESS must be host:port, e.g. 127.0.0.1:7233']);
  });

  it('names the port in use when it is not a Temporal server', async () => {
    const { code, stderr } = await startWith({ TEMPORAL_ADDRESS: `127.0.0.1:${squattedPort}` });
    expect(code).toBe(1);
    expect(errorLines(stderr)).toEqual([
      `error: Port ${squattedPort} is in use by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS`,
    ]);
  });

  it('explains an unreachable DATABASE_URL without leaking its password', async () => {
    const closedPort = await freePort();
    const { code, stderr } = await startWith({
      DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${closedPort}/healing`,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_UI_PORT: String(await freePort()),
      DATA_DIR: `/tmp/selfheal-startup-${closedPort}`,
    });
    expect(code).toBe(1);
    expect(errorLines(stderr)).toEqual([
      `error: Cannot connect to PostgreSQL at 127.0.0.1:${closedPort}/healing: ECONNREFUSED — is it running? Check DATABASE_URL`,
    ]);
    expect(stderr).not.toContain('s3cret-pw');
  });
});
