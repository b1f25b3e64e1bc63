// The Temporal Web UI in a real headless browser (Debian's chromium driven by playwright-core):
// the workflow list filtered by a search attribute (`ErrorCategory="rate_limit"`) shows the
// healing run this test just produced, and not the one of another category; the run's page
// shows its summary and search attributes. Screenshots go to test-results/temporal-ui-*.png.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { getHealingEvents } from '../db/index.js';
import { PROJECT_ROOT } from './support/heal-cli.js';
import { useTestSystem } from './support/use-test-system.js';
import { launchChromium } from './support/browser.js';

const SCREENSHOTS = path.join(PROJECT_ROOT, 'test-results');
const suffix = Math.random().toString(16).slice(2, 8);

const system = useTestSystem();
let browser: Browser;

beforeAll(async () => {
  // A missing browser fails the run (never skips): scripts/ensure-chromium.sh installs it.
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** Runs `fn` once through healing; returns the healing run's workflow id once it has finished. */
async function healingRunOf(
  operation: string,
  error: () => Error,
  allowedStrategies: ['RATE_LIMIT_BACKOFF'] | ['RETRY_WITH_BACKOFF'],
): Promise<string> {
  let calls = 0;
  const call = system.healer.withSelfHealing(
    operation,
    async () => {
      if (++calls === 1) throw error();
      return 'ok';
    },
    { allowedStrategies },
  );
  await expect(call()).resolves.toBe('ok');
  const { rows } = await getHealingEvents(system.database.db, { operation });
  expect(rows).toHaveLength(1);
  const workflowId = rows[0]!.workflowId!;
  await system.client.workflow.getHandle(workflowId).result();
  return workflowId;
}

/** Visibility is eventually consistent: wait until the server's own query finds the run. */
async function visible(query: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await system.client.workflow.count(query)).count === 0) {
    if (Date.now() > deadline) throw new Error(`no run matches ${query} in visibility`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the Temporal UI', { timeout: 240_000 }, () => {
  it('lists the run a test just produced when filtered by ErrorCategory="rate_limit", and shows its summary', async () => {
    const rateLimited = await healingRunOf(
      `ui.search-${suffix}`,
      () => Object.assign(new Error('Too Many Requests'), { status: 429, headers: { 'retry-after': '1' } }),
      ['RATE_LIMIT_BACKOFF'],
    );
    const network = await healingRunOf(
      `ui.profile-${suffix}`,
      () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      ['RETRY_WITH_BACKOFF'],
    );
    await visible(`ErrorCategory="rate_limit" AND WorkflowId="${rateLimited}"`);
    await visible(`ErrorCategory="network" AND WorkflowId="${network}"`);

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    try {
      const query = 'ErrorCategory="rate_limit"';
      await page.goto(`${inject('temporalUiUrl')}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      const row = page.getByText(rateLimited, { exact: true }).first();
      await row.waitFor({ state: 'visible', timeout: 60_000 });
      expect(await page.getByText(network, { exact: true }).count()).toBe(0);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-ui-rate-limit-list.png'), fullPage: true });

      // As an operator would: open the run from the list, read its summary and search attributes.
      await row.click();
      await page.getByText('User Metadata', { exact: true }).first().click();
      const summary = await (await system.client.workflow.getHandle(rateLimited).describe()).staticSummary();
      expect(summary).toBe(`heal ui.search-${suffix} after HTTP 429`); // what the run is about, not 'failed'
      // The UI renders the summary's markdown in a sandboxed iframe: look in every frame.
      const shown = async () =>
        (await Promise.all(page.frames().map((frame) => frame.getByText(summary!).count()))).some(Boolean);
      await expect.poll(shown, { timeout: 60_000 }).toBe(true);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-ui-rate-limit-run.png'), fullPage: true });
      await page.getByText('Search Attributes', { exact: true }).first().click();
      await page.getByText('RATE_LIMIT_BACKOFF').first().waitFor({ state: 'visible', timeout: 60_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'temporal-ui-rate-limit-attributes.png'), fullPage: true });
    } catch (error) {
      await page
        .screenshot({ path: path.join(SCREENSHOTS, 'temporal-ui-failure.png'), fullPage: true })
        .catch(() => undefined);
      throw error;
    } finally {
      await page.close();
    }
  });
});
