import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests that need no PostgreSQL, no Temporal dev server and no browser (a time-skipping test
 * server they start themselves is fine) are named `*.unit.test.ts`: `npm run test:unit` runs them
 * in seconds. Every other test is an integration test and runs with the services.
 */
const UNIT = '**/*.unit.test.ts';

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
      { extends: true, test: { name: 'unit', include: [UNIT] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT],
          // One Temporal dev server for all of them.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
