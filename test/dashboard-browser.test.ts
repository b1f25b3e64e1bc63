// The dashboard in a real headless browser (Debian's chromium driven by playwright-core), over a
// database filled by real healing runs on the suite's Temporal dev server (plus a cancelled run and a
// re-run's row written as the workflows write them): refused without the token, says why on the
// sign-in page, signs in, shows cards, feed and charts counted one way, filters, updates itself,
// signs out. Screenshots go to test-results/dashboard-*.png for review.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startDashboard, type DashboardServer } from '../dashboard/server.js';
import {
  recordHealingEvent,
  createHealthCheck,
  getHealingEvents,
  getHealingPatterns,
  updateHealingEvent,
  type HealingEventRow,
} from '../db/index.js';
import { logger } from '../lib/logger.js';
import { useTestSystem } from './support/use-test-system.js';
import { launchChromium } from './support/browser.js';

// Code passed to page.evaluate runs in the browser; the project compiles without DOM types.
declare const window: any;
declare const document: any;

const TOKEN = 'browser-test-token-9f8e7d6c5b4a3210';
const SCREENSHOTS = path.resolve('test-results');
const MINUTE = 60_000;

const system = useTestSystem();
let dashboard: DashboardServer;
let browser: Browser;
let temporalUiUrl: string;

function networkError(message = 'read ECONNRESET'): Error {
  return Object.assign(new Error(message), { code: 'ECONNRESET' });
}

function validationError(): Error {
  return Object.assign(new Error('email is not valid'), { name: 'ValidationError', status: 422 });
}

/** Fails `failures` times with `makeError`, then returns `value`. */
function flaky<T>(failures: number, value: T, makeError: () => unknown = networkError) {
  let calls = 0;
  return async (..._args: unknown[]) => {
    calls++;
    if (calls <= failures) throw makeError();
    return value;
  };
}

/** Waits for every healing run of `operation` to finish; returns its events. */
async function settled(operation: string): Promise<HealingEventRow[]> {
  const rows = await system.settledEvents(operation);
  expect(rows.length, operation).toBeGreaterThan(0);
  return rows;
}

/** Real healing runs with different outcomes, strategies and categories. */
async function healSomeFailures(): Promise<void> {
  const healer = system.healer;
  const payment = () =>
    healer.withSelfHealing('checkout.payment', flaky(2, { paid: true }), { allowedStrategies: ['RETRY_WITH_BACKOFF'] });
  await expect(payment()()).resolves.toEqual({ paid: true });
  await expect(payment()()).resolves.toEqual({ paid: true });

  const save = healer.withSelfHealing('profile.save', flaky(9, 'never', validationError), { critical: true });
  await expect(save()).rejects.toThrow('email is not valid');

  // Degraded answers are opt-in, and only for transient faults that could not be healed.
  const unavailable = () => Object.assign(new Error('Service Unavailable'), { status: 503 });
  const recommend = healer.withSelfHealing('catalog.recommend', flaky(9, ['x'], unavailable), {
    defaultValue: ['bestsellers'],
    allowedStrategies: ['USE_DEFAULT_VALUE'],
  });
  await expect(recommend()).resolves.toEqual(['bestsellers']);

  const track = healer.withSelfHealing('analytics.track', flaky(9, 'x', unavailable), {
    allowedStrategies: ['SKIP_OPERATION'],
    critical: false,
  });
  await expect(track()).resolves.toBeUndefined();

  let connected = false;
  const query = healer.withSelfHealing(
    'orders.query',
    async () => {
      if (!connected) throw networkError('stale connection: socket hang up');
      return 'rows';
    },
    { allowedStrategies: ['RESET_CONNECTION'], hooks: { resetConnection: () => void (connected = true) } },
  );
  await expect(query()).resolves.toBe('rows');

  const sync = healer.withSelfHealing('inventory.sync', flaky(99, 'x'), {
    allowedStrategies: ['RETRY_WITH_BACKOFF', 'USE_DEFAULT_VALUE'],
    defaultValue: 'cached inventory',
    timing: { maximumAttempts: 2 },
  });
  await expect(sync()).resolves.toBe('cached inventory');

  for (const operation of [
    'checkout.payment',
    'profile.save',
    'catalog.recommend',
    'analytics.track',
    'orders.query',
    'inventory.sync',
  ]) {
    await settled(operation);
  }
}

async function recordHealthChecks(): Promise<void> {
  const db = system.database.db;
  const now = Date.now();
  for (let index = 12; index >= 1; index--) {
    const at = new Date(now - index * 10 * MINUTE + 30_000);
    await createHealthCheck(db, {
      checkName: 'database',
      status: 'healthy',
      latencyMs: 3 + (index % 4),
      checkedAt: at,
    });
    await createHealthCheck(db, {
      checkName: 'temporal',
      status: 'healthy',
      latencyMs: 12 + (index % 3) * 4,
      checkedAt: at,
    });
    await createHealthCheck(db, {
      checkName: 'openai',
      status: index === 5 ? 'unhealthy' : 'healthy',
      latencyMs: index === 5 ? 5_000 : 300 + index * 20,
      error: index === 5 ? 'timed out after 5000 ms' : null,
      checkedAt: at,
    });
  }
  await createHealthCheck(db, {
    checkName: 'openai',
    status: 'degraded',
    latencyMs: 2_600,
    error: 'answered in 2600 ms (over 2000 ms)',
  });
  await createHealthCheck(db, { checkName: 'database', status: 'healthy', latencyMs: 4 });
  await createHealthCheck(db, { checkName: 'temporal', status: 'healthy', latencyMs: 14 });
  // What the health workflow records for a check with nothing configured.
  const notConfigured = { reason: 'not configured' };
  await createHealthCheck(db, { checkName: 'sms', status: 'skipped', latencyMs: 0, details: notConfigured });
}

const RERUN_DETECTED_AGO = 3 * 60 * MINUTE;

/** Rows as the workflows write them for an operator's cancel and re-run (`heal cancel`, `heal rerun`). */
async function recordCancelledRunAndRerun(): Promise<void> {
  const db = system.database.db;
  const failure = {
    errorClass: 'Error',
    errorMessage: 'read ECONNRESET',
    signature: 'sig-b',
    category: 'network' as const,
  };
  const cancelled = 'heal-reports.nightly-1';
  const nightly = { operation: 'reports.nightly', workflowId: cancelled, runId: 'run-1' };
  await recordHealingEvent(db, { eventKey: cancelled, ...nightly, ...failure });
  await updateHealingEvent(db, cancelled, { result: 'cancelled', strategy: 'QUEUE_FOR_LATER' });
  // A re-run starts now with the original input, detection time included.
  const rerun = 'heal-checkout.refund-1-rerun-a1b2c3';
  const detectedAt = new Date(Date.now() - RERUN_DETECTED_AGO);
  const refund = { operation: 'checkout.refund', workflowId: rerun, detectedAt };
  await recordHealingEvent(db, { eventKey: rerun, ...refund, ...failure });
  await updateHealingEvent(db, rerun, { result: 'healed', strategy: 'RETRY_WITH_BACKOFF', healingDurationMs: 800 });
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temporalUiUrl = inject('temporalUiUrl');
  await healSomeFailures();
  await recordHealthChecks();
  await recordCancelledRunAndRerun();
  dashboard = await startDashboard({
    db: system.database.db,
    token: TOKEN,
    port: 0,
    temporalUiUrl,
    temporalNamespace: system.client.options.namespace,
    pollIntervalMs: 1_000,
    // The refused sign-in below is expected: keep its warning out of the test output.
    logger: logger.child({ component: 'dashboard' }, { level: 'error' }),
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
});

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  return { context, page };
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, `dashboard-${name}.png`), fullPage: true });
}

/** Values drawn by a Chart.js chart, per dataset. */
async function chartData(page: Page, name: string): Promise<{ labels: string[]; data: number[][] }> {
  return page.evaluate((id) => {
    const chart = window.Chart.getChart(document.getElementById(`chart-${id}`));
    return { labels: chart.data.labels, data: chart.data.datasets.map((dataset: { data: number[] }) => dataset.data) };
  }, name);
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

describe('dashboard in a headless browser', () => {
  it('is refused without the token: every page and API answers 401 and only the sign-in form shows', async () => {
    const { context, page } = await newPage();
    try {
      const response = await page.goto(dashboard.url);
      expect(response?.status()).toBe(401);
      await expect(page.locator('form[action="/login"] input[name="token"]').count()).resolves.toBe(1);
      expect(await page.locator('#health-cards').count()).toBe(0);
      await screenshot(page, 'login');

      for (const target of ['/api/events', '/api/health', '/api/stats', '/assets/app.js']) {
        const refused = await context.request.get(`${dashboard.url}${target}`);
        expect(refused.status(), target).toBe(401);
        if (target.startsWith('/api/')) expect(await refused.json()).toEqual({ error: 'unauthorized' });
      }

      await page.fill('input[name="token"]', 'not-the-dashboard-token');
      const [refusedLogin] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/login')),
        page.click('button[type="submit"]'),
      ]);
      expect(refusedLogin.status()).toBe(401);
      await page.waitForSelector('text=That token was not accepted.');
      expect(await context.cookies()).toEqual([]);
      await screenshot(page, 'login-refused');

      // The icon the sign-in page links to is served before sign-in.
      const icon = await page.evaluate(() => document.querySelector('link[rel="icon"]').href);
      expect((await context.request.get(icon)).status()).toBe(200);
      expect((await context.request.get(`${dashboard.url}/favicon.ico`)).status()).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('an old link, after the token changed, lands on the sign-in page saying so', async () => {
    const { context, page } = await newPage();
    try {
      const response = await page.goto(`${dashboard.url}/?token=token-of-an-earlier-start-0123`);
      expect(response?.status()).toBe(401);
      await expect(page.locator('.notice').textContent()).resolves.toContain('the dashboard token may have changed');
      await screenshot(page, 'login-stale-link');
    } finally {
      await context.close();
    }
  });

  describe('signed in', () => {
    let context: BrowserContext;
    let page: Page;
    const consoleErrors: string[] = [];

    beforeAll(async () => {
      ({ context, page } = await newPage());
      await page.goto(dashboard.url);
      await page.fill('input[name="token"]', TOKEN);
      await page.click('button[type="submit"]');
      await page.waitForSelector('body[data-loaded="true"]');
      // From here on (the sign-in page itself is a 401 document, which the console reports).
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
    });

    afterAll(async () => {
      await context?.close();
    });

    it('shows the health cards with the overall status', async () => {
      await expect(page.locator('#overall').getAttribute('data-status')).resolves.toBe('degraded');
      await expect(page.locator('#overall-text').textContent()).resolves.toBe('System degraded');
      const cards = page.locator('#health-cards .card');
      expect(await cards.count()).toBe(4);
      expect(
        await cards.evaluateAll((nodes) => nodes.map((node: any) => [node.dataset.check, node.dataset.status])),
      ).toEqual([
        ['database', 'healthy'],
        ['openai', 'degraded'],
        ['sms', 'skipped'],
        ['temporal', 'healthy'],
      ]);
      // A check that did not run says so instead of showing a latency of 0 ms.
      const sms = page.locator('.card[data-check="sms"]');
      await expect(sms.locator('.card-facts').textContent()).resolves.toContain('not configured');
      await expect(sms.textContent()).resolves.not.toContain(' ms');
      const openai = page.locator('.card[data-check="openai"]');
      await expect(openai.locator('.card-error').textContent()).resolves.toContain('2600 ms');
      await expect(openai.locator('.card-facts strong').textContent()).resolves.toBe('2600 ms');
      // Trend of the last 6 hours: the 12 older results within it plus the latest.
      expect(await openai.locator('.trend span').count()).toBe(13);
      expect(await openai.locator('.trend span[data-status="unhealthy"]').count()).toBe(1);
    });

    it('shows the activity feed from the real healing runs, with links to the runs', async () => {
      const { rows, total } = await getHealingEvents(system.database.db, {});
      expect(total).toBe(9);
      const feed = page.locator('#events-body tr.event');
      expect(await feed.count()).toBe(9);
      await expect(page.locator('#page-info').textContent()).resolves.toBe('1–9 of 9');
      const operations = await feed.locator('td.op').allTextContents();
      expect(operations.sort()).toEqual([
        'analytics.track',
        'catalog.recommend',
        'checkout.payment',
        'checkout.payment',
        'checkout.refund',
        'inventory.sync',
        'orders.query',
        'profile.save',
        'reports.nightly',
      ]);
      const newest = rows[0]!;
      const first = feed.first();
      await expect(first.getAttribute('data-id')).resolves.toBe(newest.id);
      await expect(first.locator('a').getAttribute('href')).resolves.toBe(
        `${temporalUiUrl}/namespaces/${system.client.options.namespace}/workflows/${newest.workflowId}/${newest.runId}/history`,
      );
      const orders = page.locator('#events-body tr.event', { hasText: 'orders.query' });
      await expect(orders.textContent()).resolves.toContain('RESET_CONNECTION');
      await expect(orders.locator('.badge[data-value="healed"]').count()).resolves.toBe(1);
      await expect(orders.locator('.badge.src').textContent()).resolves.toMatch(/rules|pattern|llm/);

      // A click opens the details: diagnosis and the attempt log.
      const sync = page.locator('#events-body tr.event', { hasText: 'inventory.sync' });
      await sync.click();
      const details = page.locator('#events-body tr.details');
      await details.waitFor();
      await expect(details.locator('.attempts li').allTextContents()).resolves.toEqual([
        expect.stringMatching(/^RETRY_WITH_BACKOFF: failed/),
        expect.stringMatching(/^USE_DEFAULT_VALUE: healed/),
      ]);
    });

    it("each row shows its own time: a re-run's row its start, with the original detection beside it", async () => {
      const [rerun] = (await getHealingEvents(system.database.db, { operation: 'checkout.refund' })).rows;
      expect(rerun!.createdAt.getTime() - rerun!.detectedAt.getTime()).toBeGreaterThan(RERUN_DETECTED_AGO - MINUTE);
      const [started, detected] = await page.evaluate(
        (times) =>
          times.map((iso: string) => {
            const date = new Date(iso);
            const today = date.toDateString() === new Date().toDateString();
            return today ? date.toLocaleTimeString() : date.toLocaleString();
          }),
        [rerun!.createdAt.toISOString(), rerun!.detectedAt.toISOString()],
      );
      const row = page.locator('#events-body tr.event', { hasText: 'checkout.refund' });
      await expect(row.locator('td.when').textContent()).resolves.toBe(`${started}error of ${detected}`);
      // Every other row was detected as its run started: one time each.
      expect(await page.locator('#events-body td.when .detected').count()).toBe(1);
    });

    it('draws the charts and statistics from the same data', async () => {
      await screenshot(page, 'overview');
      const text = (id: string) => page.locator(`#${id}`).textContent();
      await expect(text('kpi-total')).resolves.toBe('9');
      await expect(text('kpi-healed')).resolves.toBe('6');
      await expect(text('kpi-not-healed')).resolves.toBe('2');
      await expect(text('kpi-not-healed-note')).resolves.toBe('1 failed · 1 skipped');
      await expect(text('kpi-open')).resolves.toBe('0');
      await expect(text('kpi-no-verdict')).resolves.toBe('1');
      await expect(text('kpi-no-verdict-note')).resolves.toBe('1 cancelled');
      await expect(text('kpi-success')).resolves.toBe('75%'); // 6 of the 8 with a verdict; the cancelled run has none
      const outcomes = await chartData(page, 'outcomes');
      expect(Object.fromEntries(outcomes.labels.map((label, index) => [label, outcomes.data[0]![index]]))).toEqual({
        healed: 6,
        'not healed': 2,
        'no verdict': 1,
      });
      const hourly = await chartData(page, 'hourly');
      expect(hourly.labels.length).toBeGreaterThanOrEqual(24);
      expect(sum(hourly.data[0]!)).toBe(9);
      // Red in the category chart is exactly the "not healed" tile: the cancelled run is grey.
      const categories = await chartData(page, 'categories');
      const [healed, notHealed, unresolved] = categories.data.map(sum);
      expect([healed, notHealed, unresolved]).toEqual([6, 2, 1]);
      const cancelled = page.locator('#events-body tr.event', { hasText: 'reports.nightly' }).locator('.badge.result');
      await expect(cancelled.getAttribute('data-outcome')).resolves.toBe('no-verdict');
      expect(categories.labels).toEqual(expect.arrayContaining(['network', 'validation']));
      // Every canvas was actually painted (not left blank).
      const painted = await page.evaluate(() =>
        ['outcomes', 'hourly', 'categories'].map((id) => {
          const canvas = document.getElementById(`chart-${id}`);
          const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
          let inked = 0;
          for (let index = 3; index < pixels.length; index += 4) if (pixels[index]! > 0) inked++;
          return inked;
        }),
      );
      expect(painted.every((inked) => inked > 500)).toBe(true);
      expect(await page.locator('#strategies-body tr').count()).toBeGreaterThanOrEqual(4);
      const learned = await getHealingPatterns(system.database.db, { limit: 20 });
      expect(learned.length).toBeGreaterThan(0);
      expect(await page.locator('#patterns-body tr').count()).toBe(learned.length);
    });

    it('applies filters (outcome, operation) and keeps them in the address', async () => {
      await page.selectOption('select[name="result"]', 'failed');
      await page.waitForFunction(() => document.getElementById('page-info')?.textContent === '1–1 of 1');
      const failed = page.locator('#events-body tr.event');
      expect(await failed.count()).toBe(1);
      await expect(failed.getAttribute('data-result')).resolves.toBe('failed');
      await expect(failed.locator('td.op').textContent()).resolves.toBe('profile.save');
      expect(new URL(page.url()).hash).toBe('#result=failed');
      await screenshot(page, 'filtered');

      await page.selectOption('select[name="result"]', '');
      await page.selectOption('select[name="operation"]', 'checkout.payment');
      await page.waitForFunction(() => document.getElementById('page-info')?.textContent === '1–2 of 2');
      expect(await page.locator('#events-body td.op').allTextContents()).toEqual([
        'checkout.payment',
        'checkout.payment',
      ]);

      await page.click('#filters-reset');
      await page.waitForFunction(() => document.getElementById('page-info')?.textContent === '1–9 of 9');
    });

    it('updates itself without a reload when new results arrive', async () => {
      await page.evaluate(() => (window.__sameDocument = true));
      await createHealthCheck(system.database.db, {
        checkName: 'queue',
        status: 'unhealthy',
        latencyMs: 900,
        error: 'broker unreachable',
      });
      const late = system.healer.withSelfHealing('late.arrival', flaky(1, 'ok'), {
        allowedStrategies: ['RETRY_WITH_BACKOFF'],
      });
      await expect(late()).resolves.toBe('ok');
      await settled('late.arrival');

      await page.waitForSelector('.card[data-check="queue"][data-status="unhealthy"]');
      await page.waitForSelector('#overall[data-status="unhealthy"]');
      await page.waitForSelector('#events-body tr.event[data-result="healed"] >> text=late.arrival');
      await page.waitForFunction(() => document.getElementById('kpi-total')?.textContent === '10');
      expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
      expect(consoleErrors).toEqual([]);
      await screenshot(page, 'updated');
    });

    it('signing out returns to the 401 sign-in page; a copy of the cookie no longer opens anything', async () => {
      const captured = await context.cookies();
      expect(captured.map((cookie) => cookie.name)).toEqual(['healing_dashboard_session']);
      const [landing] = await Promise.all([
        page.waitForResponse(
          (response) => response.url() === `${dashboard.url}/` && response.request().method() === 'GET',
        ),
        page.click('button:has-text("Sign out")'),
      ]);
      expect(landing.status()).toBe(401);
      await page.waitForSelector('form[action="/login"]');
      expect((await context.request.get(`${dashboard.url}/api/meta`)).status()).toBe(401);

      const { context: replay, page: replayed } = await newPage();
      try {
        await replay.addCookies(captured);
        expect((await replay.request.get(`${dashboard.url}/api/meta`)).status()).toBe(401);
        expect((await replayed.goto(dashboard.url))?.status()).toBe(401);
        await expect(replayed.locator('.notice').textContent()).resolves.toContain('Your session has ended');
        await screenshot(replayed, 'login-session-ended');
      } finally {
        await replay.close();
      }
    });
  });
});
