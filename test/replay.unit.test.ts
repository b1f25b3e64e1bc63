// The replay test: every history recorded in test/histories (real runs of the healing workflow,
// see test/support/record-histories.ts) must replay through the current workflow code. A change
// that alters the commands a recorded run produced fails here (non-determinism) before it can
// break the runs in flight in production; such a change needs `patched()` or a new workflow type.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayHistories, type ReplayOutcome } from '../cli/operator/replay.js';
import { PROJECT_ROOT } from './support/heal-cli.js';
import { HISTORIES_DIR, SCENARIOS } from './support/record-histories.js';

const files = readdirSync(HISTORIES_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => path.join(HISTORIES_DIR, file));
const healingFiles = files.filter((file) => path.basename(file).startsWith('healing-'));

beforeAll(() => {
  // The replayer logs each non-determinism at length; the outcomes below carry the message.
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR', () => undefined),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
    });
  } catch {
    // installed by another module of this test process
  }
});

function failures(outcomes: ReplayOutcome[]): string[] {
  return outcomes
    .filter((outcome) => !outcome.ok)
    .map((outcome) => `${path.basename(outcome.source)}: ${outcome.error}`);
}

describe('recorded workflow histories', { timeout: 300_000 }, () => {
  it('cover every recorded scenario', () => {
    const recorded = files.map((file) => path.basename(file, '.json'));
    expect(recorded).toEqual(expect.arrayContaining(Object.keys(SCENARIOS)));
  });

  it('replay with the current workflow code', async () => {
    const outcomes = await replayHistories(undefined, files);
    expect(outcomes).toHaveLength(files.length);
    expect(failures(outcomes)).toEqual([]);
  });

  it('would catch a change: against a workflow whose commands differ, every healing history is non-deterministic', async () => {
    const outcomes = await replayHistories(undefined, healingFiles, {
      workflowsPath: path.join(PROJECT_ROOT, 'test', 'fixtures', 'reordered-workflows.ts'),
    });
    expect(outcomes).toHaveLength(healingFiles.length);
    expect(outcomes.filter((outcome) => !outcome.nondeterministic).map((outcome) => outcome.source)).toEqual([]);
  });
});
