// The package as an application gets it: `npm pack` (prepack builds dist/), installed into an
// empty project, a consumer type-checked with tsc and run with plain node against the suite's dev
// server and the package's own central worker bin; the library's import graph stays small.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { getHealingEvents } from '../db/index.js';
import { freePort } from '../lib/free-port.js';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startFakeHttpServer, type FakeHttpServer } from './support/fake-http.js';
import { connectToDevServer } from './support/temporal.js';

const run = promisify(execFile);
const TSC = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const FIXTURE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'package-consumer');

let scratch: string;
let installed: string;
let database: TestDatabase;
let quotes: FakeHttpServer;
let worker: ChildProcess | undefined;
const taskQueue = `package-${process.pid}`;

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'package-consumer-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: PROJECT_ROOT });
  const tarball = path.join(scratch, stdout.trim().split('\n').at(-1)!);
  writeFileSync(
    path.join(scratch, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  // Dependencies come from the npm cache the repository's own install filled.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, '@types/node@20'], {
    cwd: scratch,
  });
  installed = path.join(scratch, 'node_modules', 'temporal-self-healing');
  database = await createTestDatabase('postgres');
  quotes = await startFakeHttpServer(() => ({ kind: 'json', body: { price: 42 } }));
}, 600_000);

afterAll(async () => {
  worker?.kill('SIGTERM');
  const { client } = await connectToDevServer();
  await client.schedule
    .getHandle(`health-checks-${taskQueue}`)
    .delete()
    .catch(() => undefined);
  await client.connection.close();
  await quotes?.close();
  await database?.drop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts an installed bin and resolves once it printed `ready`; rejects if it exits first. */
function startBin(name: string, env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(path.join(scratch, 'node_modules', '.bin', name), {
    cwd: scratch,
    env: { ...process.env, ...env },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve(child);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
}

describe('the installed package', () => {
  it('ships compiled JavaScript and declarations only, with its migrations', () => {
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.exports)).toEqual([
      '.',
      './express',
      './fastify',
      './hono',
      './next',
      './fetch',
      './package.json',
    ]);
    expect(readFileSync(path.join(installed, 'dist', 'db', 'migrations', '0000_init.sql'), 'utf8')).toContain(
      'healing_events',
    );
    expect(() => readFileSync(path.join(installed, 'client', 'self-healing.ts'))).toThrow();
  });

  it('keeps the worker, the database and the dashboard out of what an application imports', () => {
    expect(importGraph(path.join(installed, 'dist', 'client', 'index.js')).files).toContain('client/self-healing.js');
    for (const entry of [
      'client/index',
      'client/healing-fetch',
      ...['express', 'fastify', 'hono', 'next'].map((name) => `client/integrations/${name}`),
    ]) {
      const { files, packages } = importGraph(path.join(installed, 'dist', `${entry}.js`));
      expect(
        files.filter((file) => /^(workers|activities|db|dashboard|workflows)\//.test(file)),
        entry,
      ).toEqual([]);
      expect(
        packages.filter((name) =>
          ['pg', 'drizzle-orm', '@electric-sql/pglite', 'openai', 'resend', 'twilio', 'tsx'].includes(name),
        ),
        entry,
      ).toEqual([]);
    }
  });

  it('runs a tsc-compiled consumer with plain node: a call healed, a permanent error rethrown as itself', async () => {
    cpSync(FIXTURE, scratch, { recursive: true });
    await run(process.execPath, [TSC, '-p', scratch]);
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: database.url!,
      DASHBOARD_PORT: String(await freePort()),
      DASHBOARD_TOKEN: 'package-test-token-0123456789',
      LOG_LEVEL: 'warn',
    };
    worker = await startBin('self-healing-worker', env, 'Self-healing worker running');
    quotes.enqueue({ kind: 'json', status: 503, body: { error: 'down' } });

    const { stdout } = await run(process.execPath, [path.join(scratch, 'out', 'consumer.js')], {
      cwd: scratch,
      env: { ...process.env, ...env, QUOTES_URL: quotes.url },
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(result).toMatchObject({
      quote: { price: 42 },
      sameError: true,
      healingWorkflowId: expect.any(String),
      healingOutcome: 'failed',
    });
    expect(quotes.requests.map((request) => request.path)).toEqual(['/quotes/ACME', '/quotes/ACME']);
    await expect
      .poll(async () => (await getHealingEvents(database.handle.db, { operation: 'consumer.quote' })).rows[0]?.result, {
        timeout: 20_000,
      })
      .toBe('healed');
  }, 300_000); // tsc, the worker bundling its workflows and two healing runs, on a shared machine

  it('has the operator CLI as a bin that runs compiled', async () => {
    const { stdout } = await run(path.join(scratch, 'node_modules', '.bin', 'heal'), ['--help'], { cwd: scratch });
    expect(stdout).toContain('approve');
  });
});

/** Files (relative to dist/) and packages reachable through static and dynamic imports from `entry`. */
function importGraph(entry: string): { files: string[]; packages: string[] } {
  const dist = path.join(installed, 'dist');
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    // `… from 'x'`, `import 'x'` and `import('x')`
    for (const [, specifier] of source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g) as Iterable<
      [string, string]
    >) {
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier));
      else
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(entry);
  return { files: [...files].map((file) => path.relative(dist, file)), packages: [...packages] };
}
