// Stopping `npm start` is always clean: SIGINT to its process group (Ctrl-C in a terminal), SIGINT
// to npm's pid alone (what some supervisors send) and SIGTERM, each while health checks run,
// end with "Stopped cleanly.", exit code 0, no process left and every port free. So does a
// signal during start-up, and a SIGKILL takes the Temporal dev server down with the worker.
// LIFECYCLE_STOPS=20 runs 20 stops (the modes in turn) instead of one per mode.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  killStartedSystems,
  leftovers,
  npmStart,
  systemEnv,
  systemPorts,
  type StartedSystem,
  type SystemPorts,
} from './support/npm-start.js';

type Mode = 'SIGINT to the group' | 'SIGINT to the main pid' | 'SIGTERM to the main pid';
const MODES: Mode[] = ['SIGINT to the group', 'SIGINT to the main pid', 'SIGTERM to the main pid'];
const STOPS = Number(process.env.LIFECYCLE_STOPS ?? MODES.length);

let dataDir: string;
let ports: SystemPorts;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'selfheal-lifecycle-'));
  ports = await systemPorts();
  env = systemEnv(dataDir, ports);
});

afterEach(killStartedSystems);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function send(system: StartedSystem, mode: Mode): void {
  if (mode === 'SIGINT to the group') process.kill(-system.pid, 'SIGINT');
  else process.kill(system.pid, mode.startsWith('SIGINT') ? 'SIGINT' : 'SIGTERM');
}

/** Health-check runs started back to back until `until` settles: workflow and activity tasks in flight at the stop. */
async function keepBusy(until: Promise<unknown>): Promise<number> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  let started = 0;
  let done = false;
  void until.then(() => (done = true));
  const startOne = () =>
    client.workflow
      .start('healthCheckWorkflow', {
        taskQueue: 'self-healing',
        workflowId: `load-${Date.now()}-${started++}`,
        args: [{}],
      })
      .catch(() => undefined);
  await Promise.all(Array.from({ length: 10 }, startOne));
  while (!done) {
    await startOne();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await connection.close().catch(() => undefined);
  return started;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function expectNothingLeft(system: StartedSystem): Promise<void> {
  const left = await leftovers(system.pid, dataDir, [ports.temporal, ports.ui, ports.dashboard]);
  expect(left, JSON.stringify(system.output())).toEqual({ group: false, processes: [], ports: [] });
}

// Each start bundles the workflows: on a loaded 2-core machine that alone can take half a minute.
describe('stopping npm start', { timeout: 360_000 }, () => {
  const rounds = Array.from({ length: STOPS }, (_, index) => [index + 1, MODES[index % MODES.length]!] as const);

  it.each(rounds)('stop %i (%s) under load is clean and leaves nothing behind', async (_, mode) => {
    const system = npmStart(env);
    await system.ready;
    const busy = keepBusy(system.exited);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    send(system, mode);
    const { code } = await system.exited;
    expect(await busy).toBeGreaterThan(10);
    const { stdout, stderr } = system.output();
    expect(stdout, stderr).toContain('Stopped cleanly.');
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/"level":[56]0/);
    await expectNothingLeft(system);
  });

  it('a stop during start-up stops what was started so far', async () => {
    const system = npmStart(env);
    await until(() => system.output().stderr.includes('starting a local Temporal dev server'));
    process.kill(-system.pid, 'SIGINT');
    const { code } = await system.exited;
    const { stdout, stderr } = system.output();
    expect(stdout, stderr).toContain('Stopped cleanly.');
    expect(code, stderr).toBe(0);
    await expectNothingLeft(system);
  });

  it('SIGKILL of the worker takes its Temporal dev server down too', async () => {
    const system = npmStart(env);
    await system.ready;
    process.kill(-system.pid, 'SIGKILL');
    await system.exited;
    await expectNothingLeft(system);
  });
});
