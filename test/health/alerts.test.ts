// Health alerts through the admin notifications: once per streak, and the recovery notice after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsViaNotifications } from '../../activities/health/alerts.js';
import { createNotificationActivities } from '../../activities/notifications/index.js';
import { createTestDatabase } from '../support/database.js';
import { startFakeResend, type FakeResend } from '../support/fake-resend.js';

let resend: FakeResend;

beforeAll(async () => {
  resend = await startFakeResend();
});

afterAll(async () => {
  await resend?.close();
});

describe('health alerts through the admin notifications', () => {
  it('an alert goes out once per notification id by e-mail, and the recovery notice follows it', async () => {
    const fresh = await createTestDatabase('postgres');
    try {
      const before = resend.delivered.length;
      const notifications = createNotificationActivities(fresh.handle.db, {
        email: {
          apiKey: 're_test',
          baseUrl: resend.url,
          from: 'Self-Healing <alerts@example.com>',
          to: ['ops@example.com'],
        },
      });
      const send = alertsViaNotifications(notifications);
      const alert = {
        notificationId: 'health-alert:database:41',
        kind: 'alert' as const,
        check: 'database',
        status: 'unhealthy' as const,
        consecutiveFailures: 3,
        error: 'connect ECONNREFUSED 127.0.0.1:5432',
        healthWorkflowId: 'health-check-q-2025-01-01T00:06:00Z',
      };
      expect(await send(alert)).toMatchObject({ sent: true });
      expect(await send(alert)).toMatchObject({ sent: true }); // a retried activity: nothing new
      const recovery = await send({
        ...alert,
        kind: 'recovery',
        status: 'healthy',
        notificationId: 'health-recovery:database:45',
      });
      expect(recovery).toMatchObject({ sent: true });
      const mails = resend.delivered.slice(before);
      expect(mails).toHaveLength(2);
      expect(mails[0]!.subject).toContain('health:database');
      expect(mails[0]!.text).toContain('failed 3 times in a row');
      expect(mails[1]!.subject).toMatch(/Recovered: health:database/);
      // A recovery without an alert before it tells nobody.
      expect(
        await send({
          ...alert,
          check: 'sms',
          kind: 'recovery',
          status: 'healthy',
          notificationId: 'health-recovery:sms:9',
        }),
      ).toMatchObject({
        sent: false,
        detail: 'this error never alerted',
      });
    } finally {
      await fresh.drop();
    }
  });
});
