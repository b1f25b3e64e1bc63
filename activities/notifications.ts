// Admin notifications: e-mail through Resend, SMS through Twilio (critical by default), with
// exactly-once delivery per decision, a per-signature cooldown with reminders, and a recovery
// notice when a signature that alerted heals.
//
// Exactly once: the decision is a `notifications` row keyed by its notificationId (a retried
// activity or a replayed workflow finds it and sends nothing new); every provider call is a
// `notification_deliveries` row claimed before the call and closed after it, and carries an
// idempotency key. Resend deduplicates on that key, so an e-mail whose attempt was interrupted
// is sent again with the same key. Twilio does not document such a key: an SMS whose attempt
// was interrupted mid-call is recorded as failed ("outcome unknown") rather than risk a second
// text. Provider trouble never fails the healing: a transient failure is retried by Temporal
// (the activity throws) up to `maxSendAttempts`, then recorded as failed with the reason.
import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Resend } from 'resend';
import twilio from 'twilio';
import { sanitizeText } from '../common/sanitize.js';
import { maskPii } from '../common/secrets/pii.js';
import { SEVERITIES, type Diagnosis, type HealingResult, type Severity, type Strategy } from '../common/types.js';
import type { Database } from '../db/connection.js';
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
} from '../db/notifications.js';
import type {
  NewNotificationDeliveryRow,
  NotificationChannelStatus,
  NotificationDeliveryRow,
  NotificationKind,
  NotificationRow,
} from '../db/schema.js';
import { logger } from '../lib/logger.js';
import type { RecurringFault } from './analysis.js';
import { scrubOutgoingText } from '../lib/outgoing-text.js';

export interface NotifyAdminsInput {
  /** Idempotency key for the providers and the record: one decision, one notification. */
  notificationId: string;
  workflowId: string;
  operation: string;
  signature: string;
  errorMessage: string;
  diagnosis?: Diagnosis;
  strategiesTried: Strategy[];
  result: HealingResult;
  reason: string;
  /** The fault recurs despite healing: the alert says so, with the counts (once per episode). */
  recurrence?: RecurringFault;
}

export interface NotifyRecoveryInput {
  signature: string;
  /** The run that healed (linked from the notice). */
  workflowId: string;
  operation: string;
  /** The strategy that healed it, when known. */
  strategy?: Strategy;
}

export interface NotificationReport {
  notificationId: string;
  kind: NotificationKind;
  /** Within the signature's cooldown: recorded and counted, not sent. */
  suppressed: boolean;
  /** Occurrences this message speaks for (a reminder: those since the last alert). */
  occurrences: number;
  email: NotificationChannelStatus;
  sms: NotificationChannelStatus;
  emailReason?: string;
  smsReason?: string;
}

export type RecoveryReport = ({ notified: true } & NotificationReport) | { notified: false; reason: string };

export interface EmailSettings {
  apiKey?: string;
  /** Resend API base URL (tests: the fake server). */
  baseUrl?: string;
  from?: string;
  to?: string[];
}

export interface SmsSettings {
  /** Starts with AC. */
  accountSid?: string;
  authToken?: string;
  from?: string;
  to?: string[];
  /** Twilio API base URL (tests: the fake server). */
  baseUrl?: string;
}

export interface NotificationSettings {
  /** Base URL of the Temporal UI, for the link to the run. */
  temporalUiUrl?: string;
  /** Namespace for the link; default: the activity's workflow namespace, else "default". */
  namespace?: string;
  email?: EmailSettings;
  sms?: SmsSettings;
  /** Lowest severity that also goes out by SMS. Default 'critical'. */
  smsMinSeverity?: Severity;
  /** After an alert, further alerts of the same signature are only counted for this long. Default 15 min. */
  cooldownMs?: number;
  /** Provider attempts per delivery before it is recorded as failed. Default 3. */
  maxSendAttempts?: number;
  /** Bound on one provider call. Default 10 s. */
  requestTimeoutMs?: number;
  /** The clock for cooldowns (tests move it instead of waiting). */
  now?: () => Date;
}

export const DEFAULT_NOTIFICATION_COOLDOWN_MS = 15 * 60_000;
const DEFAULT_MAX_SEND_ATTEMPTS = 3;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const SMS_LIMIT = 320;

// ---------------------------------------------------------------------------------------------
// Messages

interface Message {
  subject: string;
  body: string;
  sms: string;
}

function runLink(settings: NotificationSettings, workflowId: string): string {
  const base = (settings.temporalUiUrl ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespaceOf(settings))}/workflows/${encodeURIComponent(workflowId)}`;
}

function namespaceOf(settings: NotificationSettings): string {
  if (settings.namespace) return settings.namespace;
  try {
    return Context.current().info.workflowNamespace || 'default';
  } catch {
    return 'default';
  }
}

/** Text from the run, bounded: personal data masked first, so the bound holds after masking. */
const text = (value: unknown, limit: number) => sanitizeText(maskPii(String(value ?? '')), limit);

function outcomeHeadline(input: NotifyAdminsInput): string {
  if (input.recurrence)
    return `recurring despite healing (${input.recurrence.recurrences} heals in a row did not hold)`;
  switch (input.result) {
    case 'healed':
      return 'healed, but critical';
    case 'cancelled':
      return 'healing cancelled';
    case 'skipped':
      return input.diagnosis?.severity === 'critical' ? 'critical error' : 'skipped';
    default:
      return 'not healed';
  }
}

function alertMessage(
  input: NotifyAdminsInput,
  settings: NotificationSettings,
  severity: Severity,
  reminder: { occurrences: number; since: Date } | undefined,
): Message {
  const operation = text(input.operation, 200);
  const link = runLink(settings, input.workflowId);
  const diagnosis = input.diagnosis;
  const headline = outcomeHeadline(input);
  const subject = reminder
    ? `[self-healing] Reminder: ${operation} still failing (${reminder.occurrences} occurrences)`
    : `[self-healing] ${severity.toUpperCase()} ${operation}: ${headline}`;
  const lines: string[] = [];
  if (reminder) {
    lines.push(
      `Reminder: "${operation}" is still failing: ${reminder.occurrences} occurrences of this error since the alert at ${reminder.since.toISOString()}. The latest one:`,
      '',
    );
  } else {
    lines.push(`Self-healing: "${operation}" — ${headline} (${input.result}).`, '');
  }
  if (input.recurrence) lines.push(...recurrenceLines(input.recurrence), '');
  lines.push(
    'What failed',
    `  Operation: ${operation}`,
    `  Error: ${text(input.errorMessage, 1_000)}`,
    `  Signature: ${text(input.signature, 64)}`,
    '',
  );
  if (diagnosis) {
    lines.push(
      `Diagnosis (by ${diagnosis.source}, confidence ${Math.round(diagnosis.confidence * 100)}%)`,
      `  ${diagnosis.category}, severity ${diagnosis.severity}, ${diagnosis.transient ? 'transient' : 'permanent'}`,
      `  Root cause: ${text(diagnosis.rootCause, 600)}`,
      `  Recommended: ${[diagnosis.recommendedStrategy, ...diagnosis.fallbackStrategies].join(', then ')}`,
      `  ${text(diagnosis.explanation, 1_000)}`,
      '',
    );
  } else {
    lines.push('Diagnosis', '  none (the run ended before the analysis)', '');
  }
  lines.push(
    'What was tried',
    `  ${input.strategiesTried.length ? input.strategiesTried.join(' → ') : 'nothing'}`,
    '',
    'Outcome',
    `  ${input.result}: ${text(input.reason, 1_000)}`,
    '',
    `Run in the Temporal UI: ${link}`,
  );
  const what = diagnosis ? text(diagnosis.rootCause, 120) : text(input.errorMessage, 120);
  const sms = reminder
    ? `[self-healing] ${operation} still failing: ${reminder.occurrences} occurrences. ${what} ${link}`
    : `[self-healing] ${severity.toUpperCase()} ${operation} ${headline}: ${what} ${link}`;
  return { subject, body: lines.join('\n'), sms: boundSms(sms, link) };
}

/** The counts behind "recurring despite healing". */
function recurrenceLines(recurrence: RecurringFault): string[] {
  const window = formatWindow(recurrence.windowMs);
  const held = recurrence.heals === 0 ? 0 : Math.round((recurrence.held / recurrence.heals) * 100);
  return [
    'Recurring despite healing',
    `  ${recurrence.recurrences} heal(s) in a row were followed by the same error within ${window}.`,
    `  The latest heal: ${recurrence.healedBy} at ${recurrence.healedAt}.`,
    `  ${recurrence.healedBy} healed this error ${recurrence.heals} time(s); ${recurrence.held} held (${held}%).`,
    '  Strategies that address the cause (another endpoint, a new connection, a cleared cache) now go first.',
  ];
}

function formatWindow(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

function recoveryMessage(input: NotifyRecoveryInput, settings: NotificationSettings, alert: NotificationRow): Message {
  const operation = text(input.operation, 200);
  const link = runLink(settings, input.workflowId);
  const how = input.strategy ? ` by ${input.strategy}` : '';
  const subject = `[self-healing] Recovered: ${operation} healed${how}`;
  const body = [
    `Recovered: "${operation}" healed${how}.`,
    '',
    `This error (signature ${text(input.signature, 64)}) was alerted at ${alert.createdAt.toISOString()}: "${alert.subject}".`,
    `Run that healed: ${link}`,
    `Alerted run: ${runLink(settings, alert.workflowId)}`,
  ].join('\n');
  return { subject, body, sms: boundSms(`[self-healing] RECOVERED ${operation} healed${how}. ${link}`, link) };
}

/** What leaves for Resend and Twilio (and is stored as sent): personal data masked, secretlint's findings redacted. */
async function scrubbed(message: Message): Promise<Message> {
  const [subject, body, sms] = await Promise.all([message.subject, message.body, message.sms].map(scrubOutgoingText));
  return { subject: subject!, body: body!, sms: sms! };
}

/** Keeps the link whole: the text before it is cut instead. */
function boundSms(message: string, link: string): string {
  if (message.length <= SMS_LIMIT) return message;
  const room = Math.max(0, SMS_LIMIT - link.length - 2);
  return `${message.slice(0, room).trimEnd()}… ${link}`.slice(0, Math.max(SMS_LIMIT, link.length));
}

// ---------------------------------------------------------------------------------------------
// Providers

type SendOutcome =
  | { ok: true; providerMessageId: string }
  /** retryable: try again later; ambiguous: the provider may have acted on it. */
  | { ok: false; retryable: boolean; ambiguous: boolean; reason: string };

function providerKey(key: string): string {
  return key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

function emailUnavailable(settings: NotificationSettings): string | undefined {
  const email = settings.email;
  if (!email?.apiKey) return 'e-mail not configured (RESEND_API_KEY is not set)';
  if (!email.to?.length) return 'no e-mail recipients (ADMIN_EMAILS is empty)';
  if (!email.from) return 'no sender address (ALERT_EMAIL_FROM is empty)';
  return undefined;
}

function smsUnavailable(settings: NotificationSettings): string | undefined {
  const sms = settings.sms;
  if (!sms?.accountSid || !sms.authToken)
    return 'SMS not configured (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are not set)';
  if (!sms.from) return 'SMS not configured (TWILIO_FROM_NUMBER is not set)';
  if (!sms.to?.length) return 'no SMS recipients (ADMIN_PHONES is empty)';
  return undefined;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function createProviders(settings: NotificationSettings) {
  const timeoutMs = settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let resend: Resend | undefined;

  async function sendEmail(message: Message, to: string[], key: string): Promise<SendOutcome> {
    const email = settings.email!;
    try {
      resend ??= new Resend(email.apiKey, email.baseUrl ? { baseUrl: email.baseUrl } : undefined);
      const { data, error } = await resend.emails.send(
        { from: email.from!, to, subject: message.subject, text: message.body },
        { idempotencyKey: providerKey(key), signal: AbortSignal.timeout(timeoutMs) },
      );
      if (data?.id) return { ok: true, providerMessageId: data.id };
      const status = error?.statusCode ?? null;
      const reason = `Resend ${status === null ? 'unreachable' : `HTTP ${status}`}: ${text(error?.message ?? 'no id in the answer', 300)}`;
      // No status: no answer at all (network, timeout). The idempotency key makes a retry safe.
      const retryable =
        status === null || status === 429 || status >= 500 || error?.name === 'concurrent_idempotent_requests';
      return { ok: false, retryable, ambiguous: status === null, reason };
    } catch (error) {
      return {
        ok: false,
        retryable: false,
        ambiguous: false,
        reason: `Resend: ${text((error as Error)?.message ?? error, 300)}`,
      };
    }
  }

  async function sendSms(message: Message, to: string, key: string): Promise<SendOutcome> {
    const sms = settings.sms!;
    try {
      // Twilio's SDK has no per-call header option: a request client that adds the key.
      class KeyedRequestClient extends twilio.RequestClient {
        override request<T>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0]) {
          opts.headers = { ...opts.headers, 'Idempotency-Key': providerKey(key) };
          return super.request<T>(opts as never);
        }
      }
      const client = twilio(sms.accountSid, sms.authToken, {
        httpClient: new KeyedRequestClient({ timeout: timeoutMs, autoRetry: false }),
        autoRetry: false,
      });
      if (sms.baseUrl) client.api.baseUrl = sms.baseUrl.replace(/\/+$/, '');
      const sent = await client.messages.create({ from: sms.from!, to, body: message.sms });
      return { ok: true, providerMessageId: sent.sid };
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const code = (error as { code?: unknown }).code;
      const reason = `Twilio ${typeof status === 'number' ? `HTTP ${status}` : typeof code === 'string' ? code : 'error'}: ${text((error as Error)?.message ?? error, 300)}`;
      if (typeof status === 'number') {
        return { ok: false, retryable: status === 429 || status >= 500, ambiguous: false, reason };
      }
      if (typeof code === 'string' && NOT_SENT_CODES.has(code))
        return { ok: false, retryable: true, ambiguous: false, reason };
      if (typeof code === 'string') return { ok: false, retryable: true, ambiguous: true, reason };
      // Not an HTTP or network error (e.g. an invalid account SID): retrying will not help.
      return { ok: false, retryable: false, ambiguous: false, reason };
    }
  }

  return { sendEmail, sendSms };
}

// ---------------------------------------------------------------------------------------------
// The activities

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
  const providers = createProviders(settings);

  function plannedDeliveries(
    notificationId: string,
    withSms: boolean,
  ): {
    deliveries: Array<Omit<NewNotificationDeliveryRow, 'notificationId'>>;
    emailReason?: string;
    smsReason?: string;
  } {
    const deliveries: Array<Omit<NewNotificationDeliveryRow, 'notificationId'>> = [];
    const emailReason = emailUnavailable(settings);
    if (!emailReason) {
      deliveries.push({
        channel: 'email',
        recipient: settings.email!.to!.join(','),
        idempotencyKey: `${notificationId}:email`,
      });
    }
    let smsReason = withSms ? smsUnavailable(settings) : undefined;
    if (withSms && !smsReason) {
      for (const [index, phone] of settings.sms!.to!.entries()) {
        deliveries.push({ channel: 'sms', recipient: phone, idempotencyKey: `${notificationId}:sms:${index + 1}` });
      }
    }
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
    if (delivery.status === 'sending' && delivery.channel === 'sms') {
      // An earlier attempt claimed it and never reported back: it may have been sent.
      await finishDelivery(
        db,
        key,
        {
          status: 'failed',
          error:
            'an earlier attempt was interrupted during the send; outcome unknown, not resent to avoid a duplicate SMS',
        },
        'sending',
      );
      return undefined;
    }
    // E-mail: an interrupted send is safe to repeat (Resend deduplicates on the idempotency key).
    const claimed = await claimDelivery(db, key, delivery.channel === 'email' ? ['pending', 'sending'] : ['pending']);
    if (!claimed) return undefined;
    const outcome =
      delivery.channel === 'email'
        ? await providers.sendEmail(message, delivery.recipient.split(','), delivery.idempotencyKey)
        : await providers.sendSms(message, delivery.recipient, delivery.idempotencyKey);
    if (outcome.ok) {
      await finishDelivery(db, key, { status: 'sent', providerMessageId: outcome.providerMessageId, error: null });
      return undefined;
    }
    const canRetry =
      outcome.retryable && claimed.attempts < maxSendAttempts && !(outcome.ambiguous && delivery.channel === 'sms');
    if (canRetry) {
      await finishDelivery(db, key, { status: 'pending', error: outcome.reason });
      return `${delivery.channel}: ${outcome.reason}`;
    }
    const reason =
      outcome.ambiguous && delivery.channel === 'sms'
        ? `${outcome.reason} (outcome unknown, not resent to avoid a duplicate SMS)`
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

/** The subset of the configuration the notifications read (lib/config.ts `Config`). */
export interface NotificationConfig {
  TEMPORAL_NAMESPACE: string;
  temporalUiUrl: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  ALERT_EMAIL_FROM: string;
  ADMIN_EMAILS: string[];
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM_NUMBER?: string;
  TWILIO_BASE_URL?: string;
  ADMIN_PHONES: string[];
  NOTIFICATION_COOLDOWN_MS?: number;
  SMS_MIN_SEVERITY?: Severity;
}

export function notificationSettingsFromConfig(config: NotificationConfig): NotificationSettings {
  return {
    temporalUiUrl: config.temporalUiUrl,
    namespace: config.TEMPORAL_NAMESPACE,
    email: {
      apiKey: config.RESEND_API_KEY,
      baseUrl: config.RESEND_BASE_URL,
      from: config.ALERT_EMAIL_FROM,
      to: config.ADMIN_EMAILS,
    },
    sms: {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      from: config.TWILIO_FROM_NUMBER,
      to: config.ADMIN_PHONES,
      baseUrl: config.TWILIO_BASE_URL,
    },
    ...(config.NOTIFICATION_COOLDOWN_MS !== undefined ? { cooldownMs: config.NOTIFICATION_COOLDOWN_MS } : {}),
    ...(config.SMS_MIN_SEVERITY !== undefined ? { smsMinSeverity: config.SMS_MIN_SEVERITY } : {}),
  };
}

/** One line per channel for the start-up log: what is configured, what is not and why. */
export function describeNotificationChannels(settings: NotificationSettings): string[] {
  return [
    emailUnavailable(settings) ?? `e-mail via Resend to ${settings.email!.to!.length} admin(s)`,
    smsUnavailable(settings) ??
      `SMS via Twilio to ${settings.sms!.to!.length} admin(s) for severity ${settings.smsMinSeverity ?? 'critical'}+`,
  ];
}
