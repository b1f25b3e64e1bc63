import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'common/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Many tests provoke failures on purpose: only errors are worth printing (LOG_LEVEL overrides).
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' },
  },
});
