import { defineConfig } from 'vitest/config';

/**
 * Tests that need no PostgreSQL, no Temporal dev server and no browser (a time-skipping test
 * server they start themselves is fine): `npm run test:unit` runs them in seconds. New ones are
 * named `*.unit.test.ts`; every other test is an integration test and runs with the services.
 */
const UNIT_TESTS = [
  'common/**/*.test.ts',
  'test/**/*.unit.test.ts',
  'test/client-last-good-results.test.ts',
  'test/common-rules.test.ts',
  'test/common-sanitize.test.ts',
  'test/common-signature.test.ts',
  'test/faults-properties.test.ts',
  'test/health/checks/memory.test.ts',
  'test/health/decisions.test.ts',
  'test/outgoing-text.test.ts',
  'test/replay.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Many tests provoke failures on purpose: only errors are worth printing (LOG_LEVEL overrides).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT_TESTS } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT_TESTS,
          // One Temporal dev server for all of them.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
