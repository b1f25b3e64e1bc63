// A new user's first hour, checked on every run: clone the repository, run the README's start
// command until the system is ready, open the Temporal UI and the dashboard, press Ctrl-C (SIGINT
// to the foreground process group), and find nothing left behind. The clone reuses this checkout's
// node_modules (a symlink: `npm ci` itself runs in CI) and Temporal CLI (TEMPORAL_CLI_PATH).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../lib/project-paths.js';
import { ensureTemporalBinary } from '../lib/temporal-binaries.js';
import { killStartedSystems, leftovers, npmStart, systemPorts, type SystemPorts } from './support/npm-start.js';

let clone: string;
let ports: SystemPorts;

beforeAll(async () => {
  clone = path.join(mkdtempSync(path.join(tmpdir(), 'selfheal-clone-')), 'repo');
  execFileSync('git', ['clone', '--quiet', PROJECT_ROOT, clone]);
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  ports = await systemPorts();
});

afterEach(killStartedSystems);

afterAll(() => rmSync(path.dirname(clone), { recursive: true, force: true }));

/** The README's first command block: its start line, e.g. `npm ci && npm start`. */
function readmeStartCommand(): string {
  const block = /```bash\n([\s\S]*?)```/.exec(readFileSync(path.join(clone, 'README.md'), 'utf8'))![1]!;
  return block
    .split('\n')
    .find((line) => line.includes('npm start'))!
    .replace(/#.*/, '')
    .trim();
}

describe('a fresh clone', { timeout: 360_000 }, () => {
  it('starts with the README command, serves the UI, and stops on Ctrl-C leaving nothing behind', async () => {
    expect(readmeStartCommand()).toBe('npm ci && npm start');
    const system = npmStart(
      {
        TEMPORAL_CLI_PATH: ensureTemporalBinary('temporal'),
        TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
        TEMPORAL_UI_PORT: String(ports.ui),
        DASHBOARD_PORT: String(ports.dashboard),
        LOG_LEVEL: 'info',
      },
      clone,
    );
    await system.ready;
    const { stdout } = system.output();
    const uiUrl = /Temporal UI: (\S+)/.exec(stdout)![1]!;
    expect(uiUrl).toBe(`http://127.0.0.1:${ports.ui}`);
    expect((await fetch(uiUrl)).status).toBe(200);
    const dashboardLink = /Dashboard: +(\S+)/.exec(stdout)![1]!;
    // The link signs in (a cookie, then a redirect to the page).
    expect((await fetch(dashboardLink, { redirect: 'manual' })).status).toBeLessThan(400);

    process.kill(-system.pid, 'SIGINT');
    const { code } = await system.exited;
    expect(system.output().stdout, system.output().stderr).toContain('Stopped cleanly.');
    expect(code).toBe(0);
    const left = await leftovers(system.pid, clone, [ports.temporal, ports.ui, ports.dashboard]);
    expect(left, JSON.stringify(system.output())).toEqual({ group: false, processes: [], ports: [] });
  });
});
