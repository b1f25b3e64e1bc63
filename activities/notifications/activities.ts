// The notification activities: exactly-once delivery per decision, a per-signature cooldown with
// reminders, and a recovery notice when a signature that alerted heals.
//
// Exactly once: the decision is a `notifications` row keyed by its notificationId (a retried
// activity or a replayed workflow finds it and sends nothing new); every provider call is a
// `notification_deliveries` row claimed before the call and closed after it, and carries an
// idempotency key. A channel whose provider deduplicates on that key (`repeatable`) repeats an
// interrupted send; any other records it as failed ("outcome unknown"). Provider trouble never
// fails the healing: a transient failure is retried by Temporal (the activity throws) up to
// `maxSendAttempts`, then recorded as failed with the reason.
import { ApplicationFailure } from '@temporalio/common';
import { SEVERITIES, type Severity } from '../../common/types.js';
import type { Database } from '../../db/connection.js';
import {
  claimDelivery,
  countSuppressedAfter,
  finishDelivery,
  getLatestRecovery,
  getLatestSentAlert,
  getNotification,
  getRecoveryOf,
  insertNotification,
  refreshNotificationStatus,
  withSignatureLock,
  type DeliveryKey,
  type NotificationWithDeliveries,
} from '../../db/notifications.js';
import type { NotificationDeliveryRow } from '../../db/schema.js';
import { logger } from '../../lib/logger.js';
import type { PlannedDelivery } from './channel.js';
import { createChannels } from './channels.js';
import {
  DEFAULT_NOTIFICATION_COOLDOWN_MS,
  type NotificationReport,
  type NotificationSettings,
  type NotifyAdminsInput,
  type NotifyRecoveryInput,
  type RecoveryReport,
} from './contract.js';
import { alertMessage, recoveryMessage, scrubbed, text, type Message } from './messages.js';

const DEFAULT_MAX_SEND_ATTEMPTS = 3;

function severityAtLeast(severity: Severity, floor: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(floor);
}

function toReport(record: NotificationWithDeliveries): NotificationReport {
  const row = record.notification;
  return {
    notificationId: row.notificationId,
    kind: row.kind,
    suppressed: row.decision === 'suppressed',
    occurrences: row.occurrences,
    email: row.emailStatus,
    sms: row.smsStatus,
    ...(row.emailReason ? { emailReason: row.emailReason } : {}),
    ...(row.smsReason ? { smsReason: row.smsReason } : {}),
  };
}

class ProviderUnavailable extends Error {}

export function createNotificationActivities(db: Database, settings: NotificationSettings = {}) {
  const now = settings.now ?? (() => new Date());
  const cooldownMs = settings.cooldownMs ?? DEFAULT_NOTIFICATION_COOLDOWN_MS;
  const maxSendAttempts = Math.max(1, settings.maxSendAttempts ?? DEFAULT_MAX_SEND_ATTEMPTS);
  const smsMinSeverity = settings.smsMinSeverity ?? 'critical';
  const channels = createChannels(settings);

  function plannedDeliveries(
    notificationId: string,
    withSms: boolean,
  ): {
    deliveries: PlannedDelivery[];
    emailReason?: string;
    smsReason?: string;
  } {
    const deliveries: PlannedDelivery[] = [];
    const emailReason = channels.email.unavailable();
    if (!emailReason) deliveries.push(...channels.email.deliveries(notificationId));
    let smsReason = withSms ? channels.sms.unavailable() : undefined;
    if (withSms && !smsReason) deliveries.push(...channels.sms.deliveries(notificationId));
    if (!withSms) smsReason = `SMS only for severity ${smsMinSeverity} and above`;
    return { deliveries, emailReason, smsReason };
  }

  /** Sends every delivery still owed; throws (retryable) when a transient failure should be retried. */
  async function deliver(notificationId: string): Promise<NotificationReport> {
    const current = await getNotification(db, notificationId);
    if (!current) throw new Error(`notification ${notificationId} vanished`);
    const message: Message = {
      subject: current.notification.subject,
      body: current.notification.body,
      sms: current.notification.smsBody ?? current.notification.subject,
    };
    // In parallel: one attempt takes about one provider timeout, well inside the activity's.
    const problems = await Promise.all(current.deliveries.map((delivery) => deliverOne(delivery, message)));
    const retryLater = problems.filter((problem): problem is string => problem !== undefined);
    const fresh = await refreshNotificationStatus(db, notificationId);
    if (retryLater.length > 0) throw new ProviderUnavailable(retryLater.join('; '));
    return toReport(fresh ?? current);
  }

  /** Returns a reason when the delivery should be retried later. */
  async function deliverOne(delivery: NotificationDeliveryRow, message: Message): Promise<string | undefined> {
    const key: DeliveryKey = {
      notificationId: delivery.notificationId,
      channel: delivery.channel,
      recipient: delivery.recipient,
    };
    if (delivery.status === 'sent' || delivery.status === 'failed') return undefined;
    const channel = channels[delivery.channel];
    if (delivery.status === 'sending' && !channel.repeatable) {
      // An earlier attempt claimed it and never reported back: it may have been sent.
      await finishDelivery(
        db,
        key,
        {
          status: 'failed',
          error: `an earlier attempt was interrupted during the send; outcome unknown, not resent to avoid a duplicate ${channel.noun}`,
        },
        'sending',
      );
      return undefined;
    }
    // A repeatable channel's interrupted send is safe to repeat (the provider deduplicates on the idempotency key).
    const claimed = await claimDelivery(db, key, channel.repeatable ? ['pending', 'sending'] : ['pending']);
    if (!claimed) return undefined;
    const outcome = await channel.send(message, delivery.recipient, delivery.idempotencyKey);
    if (outcome.ok) {
      await finishDelivery(db, key, { status: 'sent', providerMessageId: outcome.providerMessageId, error: null });
      return undefined;
    }
    const canRetry =
      outcome.retryable && claimed.attempts < maxSendAttempts && !(outcome.ambiguous && !channel.repeatable);
    if (canRetry) {
      await finishDelivery(db, key, { status: 'pending', error: outcome.reason });
      return `${delivery.channel}: ${outcome.reason}`;
    }
    const reason =
      outcome.ambiguous && !channel.repeatable
        ? `${outcome.reason} (outcome unknown, not resent to avoid a duplicate ${channel.noun})`
        : outcome.retryable
          ? `${outcome.reason} (gave up after ${claimed.attempts} attempts)`
          : outcome.reason;
    await finishDelivery(db, key, { status: 'failed', error: reason });
    logger.warn(
      { notificationId: delivery.notificationId, channel: delivery.channel, reason },
      'notification delivery failed',
    );
    return undefined;
  }

  async function finishOrRetry(notificationId: string): Promise<NotificationReport> {
    try {
      return await deliver(notificationId);
    } catch (error) {
      if (error instanceof ProviderUnavailable) {
        throw ApplicationFailure.retryable(
          `notification ${notificationId}: ${error.message}`,
          'NotificationProviderUnavailable',
        );
      }
      throw error;
    }
  }

  return {
    /**
     * Alerts the admins about one healing decision, exactly once per `notificationId`; within
     * the signature's cooldown it only records and counts; after it, the next one is a reminder
     * with the count. Resolves with what was done; never fails because of a provider.
     */
    async notifyAdmins(input: NotifyAdminsInput): Promise<NotificationReport> {
      const decided = await withSignatureLock(db, input.signature, async (tx) => {
        const existing = await getNotification(tx, input.notificationId);
        if (existing) return existing;
        const at = now();
        const severity: Severity = input.diagnosis?.severity ?? 'high';
        const lastSent = await getLatestSentAlert(tx, input.signature);
        const lastRecovery = await getLatestRecovery(tx, input.signature);
        // An open incident: an alert went out and no recovery notice followed it.
        const openSince = lastSent && !(lastRecovery && lastRecovery.seq > lastSent.seq) ? lastSent : undefined;
        const open = openSince !== undefined;
        const base = {
          notificationId: input.notificationId,
          signature: input.signature,
          workflowId: input.workflowId,
          operation: text(input.operation, 200),
          severity,
          result: input.result,
          createdAt: at,
          updatedAt: at,
        };
        if (openSince && at.getTime() - openSince.createdAt.getTime() < cooldownMs) {
          const reason = `cooldown: this error was alerted at ${openSince.createdAt.toISOString()} (${openSince.notificationId}); counted for the next reminder`;
          const message = await scrubbed(alertMessage(input, settings, severity, undefined));
          await insertNotification(
            tx,
            {
              ...base,
              kind: 'alert',
              decision: 'suppressed',
              subject: message.subject,
              body: message.body,
              emailStatus: 'skipped',
              emailReason: reason,
              smsStatus: 'skipped',
              smsReason: reason,
            },
            [],
          );
        } else {
          const occurrences = openSince ? 1 + (await countSuppressedAfter(tx, input.signature, openSince.seq)) : 1;
          const reminder = openSince ? { occurrences, since: openSince.createdAt } : undefined;
          const message = await scrubbed(alertMessage(input, settings, severity, reminder));
          const plan = plannedDeliveries(input.notificationId, severityAtLeast(severity, smsMinSeverity));
          await insertNotification(
            tx,
            {
              ...base,
              kind: open ? 'reminder' : 'alert',
              decision: 'send',
              occurrences,
              subject: message.subject,
              body: message.body,
              smsBody: message.sms,
              emailStatus: plan.emailReason ? 'skipped' : 'pending',
              emailReason: plan.emailReason ?? null,
              smsStatus: plan.smsReason ? 'skipped' : 'pending',
              smsReason: plan.smsReason ?? null,
            },
            plan.deliveries,
          );
        }
        return (await getNotification(tx, input.notificationId))!;
      });
      if (decided.notification.decision === 'suppressed') return toReport(decided);
      return finishOrRetry(input.notificationId);
    },

    /**
     * Tells the admins that a signature which alerted has healed: only when its latest alert
     * went out, was about an unhealed run and has no recovery notice yet (one per alert).
     * Idempotent for a retried activity of the same run.
     */
    async notifyRecoveryIfAlerted(input: NotifyRecoveryInput): Promise<RecoveryReport> {
      const decided = await withSignatureLock(
        db,
        input.signature,
        async (tx): Promise<NotificationWithDeliveries | string> => {
          const alert = await getLatestSentAlert(tx, input.signature);
          if (!alert) return 'this error never alerted';
          const existing = await getRecoveryOf(tx, alert.notificationId);
          if (existing) {
            if (existing.workflowId !== input.workflowId) return `recovery already announced by ${existing.workflowId}`;
            return (await getNotification(tx, existing.notificationId))!;
          }
          if (alert.result === 'healed') return 'the latest alert was about a run that healed';
          if (alert.emailStatus !== 'sent' && alert.smsStatus !== 'sent')
            return 'the alert reached nobody (no channel sent)';
          const at = now();
          const notificationId = `${alert.notificationId}:recovered`;
          const message = await scrubbed(recoveryMessage(input, settings, alert));
          // Recovery goes where the alert went: SMS only when the alert was texted.
          const plan = plannedDeliveries(notificationId, alert.smsStatus === 'sent');
          const smsReason = alert.smsStatus === 'sent' ? plan.smsReason : 'the alert was not sent by SMS';
          await insertNotification(
            tx,
            {
              notificationId,
              kind: 'recovery',
              decision: 'send',
              signature: input.signature,
              workflowId: input.workflowId,
              operation: text(input.operation, 200),
              severity: alert.severity,
              result: 'healed',
              occurrences: 1,
              recoversNotificationId: alert.notificationId,
              subject: message.subject,
              body: message.body,
              smsBody: message.sms,
              emailStatus: plan.emailReason ? 'skipped' : 'pending',
              emailReason: plan.emailReason ?? null,
              smsStatus: smsReason ? 'skipped' : 'pending',
              smsReason: smsReason ?? null,
              createdAt: at,
              updatedAt: at,
            },
            plan.deliveries,
          );
          return (await getNotification(tx, notificationId))!;
        },
      );
      if (typeof decided === 'string') return { notified: false, reason: decided };
      return { notified: true, ...(await finishOrRetry(decided.notification.notificationId)) };
    },
  };
}
