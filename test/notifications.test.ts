// Admin notifications through the real `resend` and `twilio` SDKs against fake providers on
// 127.0.0.1 and a real PostgreSQL database: channels by severity, exactly once per decision
// under activity retries, cooldown and reminders, recovery notices, unconfigured and failing
// providers.
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createNotificationActivities,
  notificationSettingsFromConfig,
  type NotificationSettings,
  type NotificationReport,
  type NotifyAdminsInput,
  type NotifyRecoveryInput,
} from '../activities/notifications/index.js';
import type { Diagnosis } from '../common/types.js';
import { getNotification, getNotifications } from '../db/notifications.js';
import { notificationDeliveries } from '../db/schema.js';
import { loadConfig } from '../lib/config.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { header } from './support/fake-http.js';
import { startFakeResend, type FakeResend } from './support/fake-resend.js';
import { startFakeTwilio, type FakeTwilio } from './support/fake-twilio.js';

const UI = 'http://temporal-ui.test:8233';
const ADMINS = ['ops@example.com', 'oncall@example.com'];
const PHONES = ['+15550001111', '+15550002222'];
const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const COOLDOWN_MS = 10 * 60_000;

let db: TestDatabase;
let resend: FakeResend;
let twilio: FakeTwilio;
let clock: Date;

beforeAll(async () => {
  [db, resend, twilio] = await Promise.all([createTestDatabase('postgres'), startFakeResend(), startFakeTwilio()]);
});

afterAll(async () => {
  await Promise.all([db?.drop(), resend?.close(), twilio?.close()]);
});

beforeEach(() => {
  resend.reset();
  twilio.reset();
  clock = new Date('2030-01-01T10:00:00Z');
});

function settings(overrides: Partial<NotificationSettings> = {}): NotificationSettings {
  return {
    temporalUiUrl: UI,
    email: { apiKey: 're_test_key', baseUrl: resend.url, from: 'Self-Healing <alerts@example.com>', to: ADMINS },
    sms: {
      accountSid: ACCOUNT_SID,
      authToken: 'twilio-test-token',
      from: '+15559990000',
      to: PHONES,
      baseUrl: twilio.url,
    },
    cooldownMs: COOLDOWN_MS,
    now: () => clock,
    ...overrides,
  };
}

function activities(overrides: Partial<NotificationSettings> = {}) {
  return createNotificationActivities(db.handle.db, settings(overrides));
}

function diagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    category: 'database_connection',
    severity: 'critical',
    transient: true,
    rootCause: 'The primary database refused connections.',
    recommendedStrategy: 'RESET_CONNECTION',
    fallbackStrategies: ['RETRY_WITH_BACKOFF'],
    confidence: 0.7,
    explanation: 'Connection refused by the primary; resetting the pool usually helps.',
    source: 'llm',
    ...overrides,
  };
}

function alert(overrides: Partial<NotifyAdminsInput> = {}): NotifyAdminsInput {
  const workflowId = overrides.workflowId ?? `heal-orders.save-${randomUUID().slice(0, 8)}`;
  return {
    notificationId: `${workflowId}:failed`,
    workflowId,
    operation: 'orders.save',
    signature: `sig-${randomUUID()}`,
    errorMessage: 'connect ECONNREFUSED 10.0.0.5:5432',
    diagnosis: diagnosis(),
    strategiesTried: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'],
    result: 'failed',
    reason: 'RESET_CONNECTION: still refused; RETRY_WITH_BACKOFF: 3 attempts failed',
    ...overrides,
  };
}

/** Runs the activity as Temporal would retry it: again while it throws a retryable failure. */
async function runWithRetries<T>(
  run: (env: MockActivityEnvironment) => Promise<T>,
  maxAttempts = 5,
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const env = new MockActivityEnvironment({ attempt });
    try {
      return { value: await run(env), attempts: attempt };
    } catch (error) {
      const retryable = error instanceof ApplicationFailure && !error.nonRetryable;
      if (!retryable || attempt >= maxAttempts) throw error;
    }
  }
}

describe('alerts', () => {
  it('goes out by e-mail and SMS for a critical run, with what failed, the diagnosis, what was tried, the outcome and a link', async () => {
    const input = alert();
    const report = await new MockActivityEnvironment().run(activities().notifyAdmins, input);
    expect(report).toMatchObject({ kind: 'alert', suppressed: false, email: 'sent', sms: 'sent', occurrences: 1 });

    const [emailRequest] = resend.emailRequests();
    expect(resend.emailRequests()).toHaveLength(1);
    expect(header(emailRequest!, 'idempotency-key')).toBe(`${input.notificationId}:email`);
    expect(header(emailRequest!, 'authorization')).toBe('Bearer re_test_key');
    const email = resend.delivered[0]!;
    expect(email.to).toEqual(ADMINS);
    expect(email.subject).toBe('[self-healing] CRITICAL orders.save: not healed');
    const link = `${UI}/namespaces/default/workflows/${input.workflowId}`;
    for (const part of [
      'orders.save',
      'connect ECONNREFUSED',
      'The primary database refused connections.',
      'database_connection, severity critical',
      'by llm',
      'RESET_CONNECTION → RETRY_WITH_BACKOFF',
      'failed: RESET_CONNECTION: still refused',
      link,
    ]) {
      expect(email.text).toContain(part);
    }

    expect(twilio.messageRequests()).toHaveLength(2);
    expect(twilio.delivered.map((sms) => sms.to).sort()).toEqual([...PHONES].sort());
    for (const sms of twilio.delivered) {
      expect(sms.accountSid).toBe(ACCOUNT_SID);
      expect(sms.from).toBe('+15559990000');
      expect(sms.body).toContain('CRITICAL orders.save');
      expect(sms.body).toContain(link);
      expect(sms.body.length).toBeLessThanOrEqual(320 + link.length);
    }
    expect(twilio.delivered.map((sms) => sms.idempotencyKey).sort()).toEqual([
      `${input.notificationId}:sms:1`,
      `${input.notificationId}:sms:2`,
    ]);

    const stored = await getNotification(db.handle.db, input.notificationId);
    expect(stored?.notification).toMatchObject({
      decision: 'send',
      emailStatus: 'sent',
      smsStatus: 'sent',
      severity: 'critical',
    });
    expect(stored?.deliveries.map((delivery) => [delivery.channel, delivery.status, delivery.attempts])).toEqual([
      ['email', 'sent', 1],
      ['sms', 'sent', 1],
      ['sms', 'sent', 1],
    ]);
    expect(stored?.deliveries.every((delivery) => delivery.providerMessageId)).toBe(true);
  });

  it('goes out by e-mail only for an unhealed run that is not critical', async () => {
    const input = alert({ diagnosis: diagnosis({ severity: 'high' }) });
    const report = await activities().notifyAdmins(input);
    expect(report).toMatchObject({
      email: 'sent',
      sms: 'skipped',
      smsReason: 'SMS only for severity critical and above',
    });
    expect(resend.emailRequests()).toHaveLength(1);
    expect(resend.delivered[0]!.subject).toBe('[self-healing] HIGH orders.save: not healed');
    expect(twilio.requests).toHaveLength(0);
  });

  it('uses the namespace of the activity for the link', async () => {
    const input = alert({ diagnosis: diagnosis({ severity: 'high' }) });
    await new MockActivityEnvironment({ workflowNamespace: 'payments-prod' }).run(activities().notifyAdmins, input);
    expect(resend.delivered[0]!.text).toContain(`${UI}/namespaces/payments-prod/workflows/${input.workflowId}`);
  });
});

describe('exactly once', () => {
  it('sends once when the activity runs twice with the same notificationId', async () => {
    const acts = activities();
    const input = alert();
    const first = await new MockActivityEnvironment({ attempt: 1 }).run(acts.notifyAdmins, input);
    const second = await new MockActivityEnvironment({ attempt: 2 }).run(acts.notifyAdmins, input);
    // A second worker process (a fresh activity instance) after a crash: still nothing new.
    const third = await activities().notifyAdmins(input);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(resend.emailRequests()).toHaveLength(1);
    expect(twilio.messageRequests()).toHaveLength(2);
    expect(await getNotifications(db.handle.db, { signature: input.signature })).toHaveLength(1);
  });

  it('retries a provider failure through Temporal and still delivers one e-mail, with one idempotency key', async () => {
    resend.fail(500);
    const input = alert({ diagnosis: diagnosis({ severity: 'high' }) });
    const acts = activities();
    const { value, attempts } = await runWithRetries<NotificationReport>((env) => env.run(acts.notifyAdmins, input));
    expect(attempts).toBe(2);
    expect(value).toMatchObject({ email: 'sent' });
    const keys = resend.emailRequests().map((request) => header(request, 'idempotency-key'));
    expect(keys).toEqual([`${input.notificationId}:email`, `${input.notificationId}:email`]);
    expect(resend.delivered).toHaveLength(1);
  });

  it('re-sends an interrupted e-mail with the same key (the provider deduplicates)', async () => {
    const acts = activities();
    const input = alert({ diagnosis: diagnosis({ severity: 'high' }) });
    await acts.notifyAdmins(input);
    // As if the worker died after Resend accepted the e-mail, before the row said so.
    await db.handle.db
      .update(notificationDeliveries)
      .set({ status: 'sending' })
      .where(
        and(
          eq(notificationDeliveries.notificationId, input.notificationId),
          eq(notificationDeliveries.channel, 'email'),
        ),
      );
    const report = await acts.notifyAdmins(input);
    expect(report.email).toBe('sent');
    expect(resend.emailRequests()).toHaveLength(2);
    expect(new Set(resend.emailRequests().map((request) => header(request, 'idempotency-key'))).size).toBe(1);
    expect(resend.delivered).toHaveLength(1);
  });

  it('does not re-send an SMS whose attempt was interrupted: recorded as failed, outcome unknown', async () => {
    const acts = activities({ sms: { ...settings().sms, to: [PHONES[0]!] } });
    const input = alert();
    await acts.notifyAdmins(input);
    await db.handle.db
      .update(notificationDeliveries)
      .set({ status: 'sending' })
      .where(
        and(eq(notificationDeliveries.notificationId, input.notificationId), eq(notificationDeliveries.channel, 'sms')),
      );
    const report = await acts.notifyAdmins(input);
    expect(twilio.messageRequests()).toHaveLength(1);
    expect(report.sms).toBe('failed');
    expect(report.smsReason).toMatch(/outcome unknown/);
  });

  it('does not retry an SMS whose request timed out (Twilio may have sent it)', async () => {
    twilio.hang();
    const acts = activities({ requestTimeoutMs: 300, sms: { ...settings().sms, to: [PHONES[0]!] } });
    const input = alert();
    const { value } = await runWithRetries<NotificationReport>((env) => env.run(acts.notifyAdmins, input));
    expect(value).toMatchObject({ email: 'sent', sms: 'failed' });
    expect(value.smsReason).toMatch(/outcome unknown/);
    expect(twilio.messageRequests()).toHaveLength(1);
  });
});

describe('cooldown, reminders and recovery', () => {
  it('sends one alert for a storm, then a reminder with the count, then a recovery notice', async () => {
    const acts = activities();
    const signature = `sig-${randomUUID()}`;
    const storm = Array.from({ length: 25 }, () => alert({ signature }));
    const reports = await Promise.all(storm.map((input) => acts.notifyAdmins(input)));

    expect(reports.filter((report) => !report.suppressed)).toHaveLength(1);
    expect(reports.filter((report) => report.suppressed)).toHaveLength(24);
    expect(resend.emailRequests()).toHaveLength(1);
    expect(twilio.messageRequests()).toHaveLength(2);
    const suppressed = reports.find((report) => report.suppressed)!;
    expect(suppressed).toMatchObject({ email: 'skipped', sms: 'skipped' });
    expect(suppressed.emailReason).toMatch(/^cooldown/);

    // Still within the cooldown: counted.
    clock = new Date(clock.getTime() + COOLDOWN_MS - 1_000);
    expect((await acts.notifyAdmins(alert({ signature }))).suppressed).toBe(true);

    // After it: one reminder with the count (24 + 1 suppressed, plus this one).
    clock = new Date(clock.getTime() + 2_000);
    const reminderInput = alert({ signature });
    const reminder = await acts.notifyAdmins(reminderInput);
    expect(reminder).toMatchObject({
      kind: 'reminder',
      suppressed: false,
      occurrences: 26,
      email: 'sent',
      sms: 'sent',
    });
    const reminderEmail = resend.delivered[1]!;
    expect(reminderEmail.subject).toBe('[self-healing] Reminder: orders.save still failing (26 occurrences)');
    expect(reminderEmail.text).toContain('26 occurrences of this error since the alert at 2030-01-01T10:00:00.000Z');
    expect(twilio.delivered.at(-1)!.body).toContain('26 occurrences');

    // The cooldown restarts from the reminder.
    clock = new Date(clock.getTime() + 1_000);
    expect((await acts.notifyAdmins(alert({ signature }))).suppressed).toBe(true);

    // A run of this signature heals: one recovery notice, where the alert went (e-mail and SMS).
    const healedRun = `heal-orders.save-${randomUUID().slice(0, 8)}`;
    const recoveryInput: NotifyRecoveryInput = {
      signature,
      workflowId: healedRun,
      operation: 'orders.save',
      strategy: 'RESET_CONNECTION',
    };
    const recovery = await new MockActivityEnvironment().run(acts.notifyRecoveryIfAlerted, recoveryInput);
    expect(recovery).toMatchObject({ notified: true, kind: 'recovery', email: 'sent', sms: 'sent' });
    const recoveryEmail = resend.delivered[2]!;
    expect(recoveryEmail.subject).toBe('[self-healing] Recovered: orders.save healed by RESET_CONNECTION');
    expect(recoveryEmail.text).toContain(`${UI}/namespaces/default/workflows/${healedRun}`);
    expect(header(resend.emailRequests()[2]!, 'idempotency-key')).toBe(
      `${reminderInput.notificationId}:recovered:email`,
    );

    // The same activity retried: nothing new. Another healed run: already announced.
    const again = await acts.notifyRecoveryIfAlerted({ signature, workflowId: healedRun, operation: 'orders.save' });
    expect(again).toEqual(recovery);
    const other = await acts.notifyRecoveryIfAlerted({ signature, workflowId: 'heal-other', operation: 'orders.save' });
    expect(other).toMatchObject({ notified: false });
    expect(resend.emailRequests()).toHaveLength(3);
    expect(twilio.messageRequests()).toHaveLength(6);

    // Recovered: the next failure is a fresh alert, even inside the old cooldown.
    clock = new Date(clock.getTime() + 1_000);
    const fresh = await acts.notifyAdmins(alert({ signature }));
    expect(fresh).toMatchObject({ kind: 'alert', suppressed: false, occurrences: 1, email: 'sent' });

    const rows = await getNotifications(db.handle.db, { signature });
    expect(rows.map((row) => (row.decision === 'suppressed' ? 'suppressed' : row.kind))).toEqual([
      'alert',
      ...Array(25).fill('suppressed'),
      'reminder',
      'suppressed',
      'recovery',
      'alert',
    ]);
  });

  it('sends no recovery notice for a signature that never alerted', async () => {
    const report = await activities().notifyRecoveryIfAlerted({
      signature: `sig-${randomUUID()}`,
      workflowId: 'w',
      operation: 'x',
    });
    expect(report).toEqual({ notified: false, reason: 'this error never alerted' });
    expect(resend.requests).toHaveLength(0);
  });

  it('sends the recovery notice by e-mail only when the alert was not texted', async () => {
    const acts = activities();
    const input = alert({ diagnosis: diagnosis({ severity: 'high' }) });
    await acts.notifyAdmins(input);
    const recovery = await acts.notifyRecoveryIfAlerted({
      signature: input.signature,
      workflowId: 'heal-2',
      operation: 'orders.save',
    });
    expect(recovery).toMatchObject({ notified: true, email: 'sent', sms: 'skipped' });
    expect(twilio.requests).toHaveLength(0);
  });
});

describe('unconfigured and failing providers', () => {
  it('stores the notification as skipped, with the reason, when no provider is configured', async () => {
    const acts = activities({ email: undefined, sms: undefined });
    const input = alert();
    const report = await acts.notifyAdmins(input);
    expect(report).toMatchObject({ email: 'skipped', sms: 'skipped' });
    const stored = (await getNotification(db.handle.db, input.notificationId))!;
    expect(stored.notification.emailReason).toMatch(/RESEND_API_KEY/);
    expect(stored.notification.smsReason).toMatch(/TWILIO_ACCOUNT_SID/);
    expect(stored.deliveries).toHaveLength(0);
    expect(resend.requests).toHaveLength(0);
    expect(twilio.requests).toHaveLength(0);
  });

  it('skips a channel without recipients', async () => {
    const report = await activities({ email: { ...settings().email, to: [] } }).notifyAdmins(alert());
    expect(report).toMatchObject({ email: 'skipped', sms: 'sent' });
    expect(report.emailReason).toMatch(/ADMIN_EMAILS/);
  });

  it('stores failed with the reason after a provider keeps answering 500, and resolves (healing unaffected)', async () => {
    resend.fail(500);
    resend.fail(500);
    resend.fail(500);
    const acts = activities();
    const input = alert();
    const { value, attempts } = await runWithRetries<NotificationReport>((env) => env.run(acts.notifyAdmins, input));
    expect(attempts).toBe(3);
    expect(value).toMatchObject({ email: 'failed', sms: 'sent' });
    expect(value.emailReason).toMatch(/HTTP 500/);
    expect(value.emailReason).toMatch(/gave up after 3 attempts/);
    expect(resend.emailRequests()).toHaveLength(3);
    expect(resend.delivered).toHaveLength(0);
    // SMS went out on the first attempt and was not repeated by the retries.
    expect(twilio.messageRequests()).toHaveLength(2);
    const stored = (await getNotification(db.handle.db, input.notificationId))!;
    expect(stored.notification).toMatchObject({ emailStatus: 'failed', smsStatus: 'sent' });
  });

  it('records a permanent provider error at once (Twilio 400), without retries', async () => {
    twilio.fail(400, 21211, "The 'To' number is not a valid phone number.");
    const acts = activities({ sms: { ...settings().sms, to: [PHONES[0]!] } });
    const report = await acts.notifyAdmins(alert());
    expect(report).toMatchObject({ email: 'sent', sms: 'failed' });
    expect(report.smsReason).toMatch(/HTTP 400/);
    expect(twilio.messageRequests()).toHaveLength(1);
  });

  it('records an unreachable provider as failed after the retries', async () => {
    const acts = activities({ email: { ...settings().email, baseUrl: 'http://127.0.0.1:9' }, sms: undefined });
    const input = alert();
    const { value, attempts } = await runWithRetries<NotificationReport>((env) => env.run(acts.notifyAdmins, input));
    expect(attempts).toBe(3);
    expect(value).toMatchObject({ email: 'failed', sms: 'skipped' });
    expect(value.emailReason).toMatch(/unreachable/);
  });

  it('keeps secrets planted in the error out of the providers and the rows', async () => {
    const secret = 'Hunter2-Secret-Pass';
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNlY3JldA';
    const input = alert({
      errorMessage: `login failed password=${secret} Authorization: Bearer ${token} card 4111 1111 1111 1111`,
      reason: `RETRY_WITH_BACKOFF: password=${secret}`,
    });
    await activities().notifyAdmins(input);
    const stored = JSON.stringify(await getNotification(db.handle.db, input.notificationId));
    const sent = [...resend.requests, ...twilio.requests].map((request) => request.raw).join('\n');
    for (const value of [secret, token, '4111 1111 1111 1111']) {
      expect(stored).not.toContain(value);
      expect(sent).not.toContain(value);
    }
    expect(sent).toContain('login failed');
  });

  it('reads its settings from the environment configuration', () => {
    const config = loadConfig({
      RESEND_API_KEY: 're_x',
      ADMIN_EMAILS: 'a@example.com, b@example.com',
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: 't',
      TWILIO_FROM_NUMBER: '+1555',
      ADMIN_PHONES: '+1666',
      TEMPORAL_UI_URL: UI,
      NOTIFICATION_COOLDOWN_MS: '60000',
    });
    expect(notificationSettingsFromConfig(config)).toMatchObject({
      temporalUiUrl: UI,
      namespace: 'default',
      cooldownMs: 60_000,
      smsMinSeverity: 'critical',
      email: { apiKey: 're_x', to: ['a@example.com', 'b@example.com'] },
      sms: { accountSid: ACCOUNT_SID, to: ['+1666'] },
    });
  });
});
