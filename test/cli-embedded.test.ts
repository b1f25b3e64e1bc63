// `heal` on the default set-up: `npm start` with its embedded PGlite database and no DATABASE_URL.
// The audit commands read through the running worker's dashboard API; `heal show` and `heal rerun`
// say when a run waits for an application worker that is gone; a stopped worker is one clear line.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfHealing } from '../client/self-healing.js';
import { connectionRefused, failsOnce } from './support/faults.js';
import { heal, healJson, type HealEnv } from './support/heal-cli.js';
import { killStartedSystems, npmStart, systemEnv, systemPorts, type StartedSystem } from './support/npm-start.js';
import { waitFor } from './support/wait-for.js';

// The app worker's state changes are noise in test output; errors still show.
Runtime.install({ logger: new DefaultLogger('ERROR') });

const suffix = randomBytes(3).toString('hex');
let dataDir: string;
let system: StartedSystem;
let healEnv: HealEnv;
let connection: Connection;
let workerConnection: NativeConnection;
let appWorker: Worker;
let appWorkerRun: Promise<void>;
let healer: SelfHealing;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'selfheal-embedded-'));
  const env = systemEnv(dataDir, await systemPorts());
  system = npmStart(env);
  await system.ready;
  const { TEMPORAL_ADDRESS, DASHBOARD_PORT, TEMPORAL_TASK_QUEUE } = env;
  healEnv = { TEMPORAL_ADDRESS: TEMPORAL_ADDRESS!, DATA_DIR: dataDir, DASHBOARD_PORT, TEMPORAL_TASK_QUEUE };
  connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  workerConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  healer = new SelfHealing(new Client({ connection }), {
    taskQueue: TEMPORAL_TASK_QUEUE,
    appTaskQueue: `embedded-app-${suffix}`,
    workerConnection,
  });
  appWorker = await healer.createWorker();
  appWorkerRun = appWorker.run();
}, 300_000);

afterAll(async () => {
  if (appWorker?.getState() === 'RUNNING') appWorker.shutdown();
  await appWorkerRun;
  await workerConnection?.close();
  await connection?.close();
  await killStartedSystems();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Each check spawns the CLI: poll every half second. */
const poll = <T>(what: string, check: () => Promise<T | undefined>) => waitFor(what, check, { intervalMs: 500 });

interface EventsPage {
  rows: Array<{ workflowId: string; result: string; signature: string }>;
  total: number;
}

// Every step spawns the CLI; on a busy two-core machine one spawn can take seconds.
describe('heal on the embedded default (no DATABASE_URL)', { timeout: 400_000 }, () => {
  it('stats, health, patterns, list --source db and show read through the running worker', async () => {
    const operation = `embedded.fetch-${suffix}`;
    const fetchUser = healer.withSelfHealing(operation, failsOnce(connectionRefused), {
      allowedStrategies: ['RETRY_WITH_BACKOFF'],
    });
    await expect(fetchUser('u-1')).resolves.toEqual({ id: 'u-1' });

    const { rows } = await poll('the healed audit row', async () => {
      const page = await healJson<EventsPage>(['list', '--source', 'db', '--operation', operation], healEnv);
      return page.rows[0]?.result === 'healed' ? page : undefined;
    });
    const [{ workflowId, signature }] = rows as [EventsPage['rows'][number]];

    const shown = await healJson<{ run: { summary: string }; event: { result: string } }>(
      ['show', workflowId],
      healEnv,
    );
    // A summary that reads true for a healed run: what it is about, not "failed".
    expect(shown.run.summary).toBe(`heal ${operation} after ECONNREFUSED`);
    expect(shown.event.result).toBe('healed');
    const text = await heal(['show', workflowId], healEnv);
    expect(text.stdout).toContain('Audit record (healing_events)');
    expect(text.stdout).not.toContain('Warning');

    const stats = await healJson<{ total: number; byResult: Record<string, number> }>(['stats'], healEnv);
    expect(stats.byResult.healed).toBeGreaterThanOrEqual(1);
    const patterns = await healJson<Array<{ signature: string; strategy: string; successCount: number }>>(
      ['patterns', '--signature', signature],
      healEnv,
    );
    expect(patterns).toEqual([expect.objectContaining({ signature, strategy: 'RETRY_WITH_BACKOFF', successCount: 1 })]);
    const table = await heal(['list', '--source', 'db', '--operation', operation], healEnv);
    expect(table.stdout).toMatch(/WORKFLOW ID\s+DETECTED\s+OPERATION/);
    expect(table.stdout).toContain('1 of 1 events');

    expect((await heal(['schedule', 'trigger'], healEnv)).code).toBe(0);
    const health = await poll('health-check results', async () => {
      const found = await healJson<{ overall: string; checks: Array<{ name: string }> }>(['health'], healEnv);
      return found.checks.length ? found : undefined;
    });
    expect(health.checks.map((check) => check.name)).toContain('database');
    const healthTable = await heal(['health'], healEnv);
    expect(healthTable.stdout).toMatch(/CHECK\s+STATUS\s+LATENCY/);
    expect(healthTable.stdout).toContain('not configured');
  });

  it('show and rerun say why a run waits: no application worker polls its task queue', async () => {
    // An application that registered the operation but whose worker never ran (or exited, as the demo does).
    const gone = new SelfHealing(new Client({ connection }), {
      taskQueue: healEnv.TEMPORAL_TASK_QUEUE,
      appTaskQueue: `gone-app-${suffix}`,
    });
    const operation = `embedded.gone-${suffix}`;
    gone.withSelfHealing(operation, async () => undefined, { allowedStrategies: ['RETRY_WITH_BACKOFF'] });
    const handle = await gone.startHealing(operation, [], connectionRefused());

    const shown = await poll('the warning', async () => {
      const result = await heal(['show', handle.workflowId], healEnv);
      return result.stdout.includes('Warning') ? result : undefined;
    });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Warning: no application worker has polled task queue "gone-app-${suffix}"`);
    expect(shown.stdout).toContain(`re-runs of ${operation} wait until the application hosting it runs again`);

    const rerun = await heal(['rerun', handle.workflowId], healEnv);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`Warning: no application worker has polled task queue "gone-app-${suffix}"`);
    const rerunId = /Started (\S+)/.exec(rerun.stdout)![1]!;
    for (const id of [handle.workflowId, rerunId]) {
      expect((await heal(['terminate', id, '--reason', 'test clean-up'], healEnv)).code).toBe(0);
    }
  });

  it('says in one line that the worker is not running', async () => {
    appWorker.shutdown();
    await appWorkerRun;
    process.kill(-system.pid, 'SIGINT');
    expect((await system.exited).code).toBe(0);
    for (const command of [['stats'], ['health'], ['patterns'], ['list', '--source', 'db']]) {
      const result = await heal(command, healEnv);
      expect(result.code, command.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n'), command.join(' ')).toEqual([
        expect.stringMatching(/^error: the worker is not running .*start it with npm start/),
      ]);
    }
  });
});
