// What the notification activities take and return, and their settings.
import type { Diagnosis, HealingResult, Severity, Strategy } from '../../common/types.js';
import type { NotificationChannelStatus, NotificationKind } from '../../db/schema.js';
import type { RecurringFault } from '../analysis.js';
import type { EmailSettings } from './email.js';
import type { SmsSettings } from './sms.js';

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
