// Drizzle schema shared by PostgreSQL and embedded PGlite: one schema, one set of migrations.
import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import type {
  Diagnosis,
  DiagnosisSource,
  ErrorCategory,
  HealingResult,
  HealthStatus,
  Severity,
  Strategy,
} from '../common/types.js';
import type { AttemptRecord } from '../common/healing-contract.js';

/** One healing attempt as recorded in `healing_events.attempt_log` (its `id` makes appends idempotent). */
export type AttemptLogEntry = AttemptRecord;

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const healingEvents = pgTable(
  'healing_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    // Idempotency key (e.g. the workflow id): a retried activity must not write a second row.
    eventKey: text('event_key').notNull().unique(),
    operation: text('operation').notNull(),
    errorClass: text('error_class').notNull(),
    errorMessage: text('error_message').notNull(),
    errorStack: text('error_stack'),
    errorCode: text('error_code'),
    signature: text('signature').notNull(),
    // Null until diagnosed.
    category: text('category').$type<ErrorCategory>(),
    severity: text('severity').$type<Severity>(),
    diagnosis: jsonb('diagnosis').$type<Diagnosis>(),
    diagnosisSource: text('diagnosis_source').$type<DiagnosisSource>(),
    strategy: text('strategy').$type<Strategy>(),
    attempts: integer('attempts').notNull().default(0),
    attemptLog: jsonb('attempt_log')
      .$type<AttemptLogEntry[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    result: text('result').$type<HealingResult>().notNull().default('pending'),
    healingDurationMs: integer('healing_duration_ms'),
    workflowId: text('workflow_id'),
    runId: text('run_id'),
    context: jsonb('context').$type<Record<string, unknown>>(),
    detectedAt: timestamptz('detected_at').notNull().defaultNow(),
    resolvedAt: timestamptz('resolved_at'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  // The feed pages newest first by keyset (detected_at, id): one index per filter it offers, each
  // ending in that order, so any filtered page reads about one page of index entries.
  (t) => [
    index('healing_events_detected_at_id_idx').on(t.detectedAt, t.id),
    // Signature or operation alone: one ordered scan per result; with a result: one scan.
    index('healing_events_signature_result_detected_at_id_idx').on(t.signature, t.result, t.detectedAt, t.id),
    index('healing_events_operation_result_detected_at_id_idx').on(t.operation, t.result, t.detectedAt, t.id),
    index('healing_events_category_detected_at_id_idx').on(t.category, t.detectedAt, t.id),
    index('healing_events_severity_detected_at_id_idx').on(t.severity, t.detectedAt, t.id),
    index('healing_events_result_detected_at_id_idx').on(t.result, t.detectedAt, t.id),
    // Two of severity, category and result together: one ordered scan per value of the third (see getHealingEvents).
    index('healing_events_severity_category_result_detected_at_id_idx').on(
      t.severity,
      t.category,
      t.result,
      t.detectedAt,
      t.id,
    ),
    index('healing_events_workflow_id_idx').on(t.workflowId),
  ],
);

/**
 * The columns the two rollups share after their period: one combination of category, strategy
 * and result, and its counts. A function: each table needs its own column builders.
 */
function rollupColumns() {
  return {
    category: text('category').$type<ErrorCategory>(),
    strategy: text('strategy').$type<Strategy>(),
    result: text('result').$type<HealingResult>().notNull(),
    events: integer('events').notNull().default(0),
    // Over healed events with a known healing time only, so mean = healedMs / healedTimed.
    healedMs: doublePrecision('healed_ms').notNull().default(0),
    healedTimed: integer('healed_timed').notNull().default(0),
  };
}

/**
 * Counts of healing_events per UTC hour, category, strategy and result, kept current by triggers
 * on healing_events (migration 0005) and never pruned with it: statistics over any period read
 * at most one row per hour and combination, however many events there were or still are.
 */
export const healingEventHours = pgTable(
  'healing_event_hours',
  { hour: timestamptz('hour').notNull(), ...rollupColumns() },
  (t) => [unique('healing_event_hours_key').on(t.hour, t.category, t.strategy, t.result).nullsNotDistinct()],
);

/**
 * healing_event_hours summed per UTC day, kept by the same triggers and likewise never pruned:
 * statistics over weeks and months read one row per day and combination.
 */
export const healingEventDays = pgTable(
  'healing_event_days',
  { day: timestamptz('day').notNull(), ...rollupColumns() },
  (t) => [unique('healing_event_days_key').on(t.day, t.category, t.strategy, t.result).nullsNotDistinct()],
);

/** Events per UTC hour (all combinations), kept by the same triggers: the statistics' hourly chart. */
export const healingEventHourTotals = pgTable('healing_event_hour_totals', {
  hour: timestamptz('hour').primaryKey(),
  events: integer('events').notNull().default(0),
});

export const systemHealthChecks = pgTable(
  'system_health_checks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    checkName: text('check_name').notNull(),
    status: text('status').$type<HealthStatus>().notNull(),
    latencyMs: integer('latency_ms'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    error: text('error'),
    checkedAt: timestamptz('checked_at').notNull().defaultNow(),
  },
  (t) => [
    index('system_health_checks_name_checked_at_idx').on(t.checkName, t.checkedAt.desc()),
    // The history without a check name, and retention's range of old rows.
    index('system_health_checks_checked_at_id_idx').on(t.checkedAt, t.id),
  ],
);

export const healingPatterns = pgTable(
  'healing_patterns',
  {
    signature: text('signature').notNull(),
    strategy: text('strategy').$type<Strategy>().notNull(),
    category: text('category').$type<ErrorCategory>(),
    successCount: integer('success_count').notNull().default(0),
    failureCount: integer('failure_count').notNull().default(0),
    // Sum of healing time over successes only, so avg = total / successes.
    totalHealingMs: bigint('total_healing_ms', { mode: 'number' }).notNull().default(0),
    // Null until the first success (an average of nothing is not 0 ms).
    avgHealingMs: doublePrecision('avg_healing_ms'),
    // successes / (successes + failures + 1), a plain re-run's heals that did not hold not counted
    // as successes (confidenceOf in db/healing-patterns.ts).
    confidence: doublePrecision('confidence').notNull().default(0),
    // Failures since the last success: a strategy that stops working is demoted within a few
    // occurrences, however long its record of successes.
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    // Heals by this strategy that did not hold: the signature recurred inside the watch window
    // (db/heal-watches.ts). Heals that held = successes - recurrences.
    recurrences: integer('recurrences').notNull().default(0),
    diagnosis: jsonb('diagnosis').$type<Diagnosis>(),
    lastSeen: timestamptz('last_seen').notNull().defaultNow(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.signature, t.strategy] })],
);

/**
 * The latest heal of each signature, watched for a recurrence of the fault (db/heal-watches.ts),
 * and the signature's current episode: heals in a row that the fault outlived.
 */
export const healWatches = pgTable('heal_watches', {
  signature: text('signature').primaryKey(),
  healedAt: timestamptz('healed_at').notNull(),
  healedBy: text('healed_by').$type<Strategy>().notNull(),
  /** The attempt that healed: `<workflow id>:<n>`. */
  healAttempt: text('heal_attempt').notNull(),
  /** When the fault came back inside the window; null while the heal holds. */
  recurredAt: timestamptz('recurred_at'),
  /** Episodes so far: the current one's number names its alert. */
  episode: integer('episode').notNull().default(0),
  /** Heals of the current episode that did not hold; 0: no episode open. */
  episodeRecurrences: integer('episode_recurrences').notNull().default(0),
  /** The run that alerts for the current episode (at most one per episode). */
  episodeAlertRun: text('episode_alert_run'),
});

// Outcomes already counted into healing_patterns, so a retried learning activity counts once.
export const learnedOutcomes = pgTable('learned_outcomes', {
  outcomeId: text('outcome_id').primaryKey(),
  learnedAt: timestamptz('learned_at').notNull().defaultNow(),
});

export type HealingEventRow = typeof healingEvents.$inferSelect;
export type NewHealingEventRow = typeof healingEvents.$inferInsert;
export type HealthCheckRow = typeof systemHealthChecks.$inferSelect;
export type NewHealthCheckRow = typeof systemHealthChecks.$inferInsert;
export type HealingPatternRow = typeof healingPatterns.$inferSelect;
export type NewHealingPatternRow = typeof healingPatterns.$inferInsert;
export type HealWatchRow = typeof healWatches.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Admin notifications (alerts, reminders, recovery notices) and their per-recipient deliveries.

/** alert: first notice of an unhealed/critical run; reminder: after the cooldown, with a count; recovery: it healed. */
export type NotificationKind = 'alert' | 'reminder' | 'recovery';
/** send: providers are (or were) called; suppressed: within the signature's cooldown, only counted. */
export type NotificationDecision = 'send' | 'suppressed';
export type NotificationChannel = 'email' | 'sms';
/** Per channel, summarised from its deliveries (skipped: not configured, not for this severity, or suppressed). */
export type NotificationChannelStatus = 'pending' | 'sent' | 'skipped' | 'failed';
/** sending: claimed by an attempt that has not reported back (a crash leaves it so). */
export type NotificationDeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export const notifications = pgTable(
  'notifications',
  {
    // One decision, one row: the workflow's notificationId (`${workflowId}:${result}`) or, for a
    // recovery notice, `${alertNotificationId}:recovered`; for a recurring fault, `${signature}:recurring:${episode}`.
    notificationId: text('notification_id').primaryKey(),
    // Decision order (decisions about one signature are serialised, so this is their true order).
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    kind: text('kind').$type<NotificationKind>().notNull(),
    decision: text('decision').$type<NotificationDecision>().notNull(),
    signature: text('signature').notNull(),
    workflowId: text('workflow_id').notNull(),
    operation: text('operation').notNull(),
    severity: text('severity').$type<Severity>(),
    result: text('result').$type<HealingResult>(),
    // Occurrences this message speaks for (a reminder counts those suppressed since the last alert).
    occurrences: integer('occurrences').notNull().default(1),
    // A recovery notice points at the alert it closes: at most one recovery per alert.
    recoversNotificationId: text('recovers_notification_id').unique(),
    subject: text('subject').notNull(),
    body: text('body').notNull(),
    smsBody: text('sms_body'),
    emailStatus: text('email_status').$type<NotificationChannelStatus>().notNull(),
    emailReason: text('email_reason'),
    smsStatus: text('sms_status').$type<NotificationChannelStatus>().notNull(),
    smsReason: text('sms_reason'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('notifications_signature_seq_idx').on(t.signature, t.seq),
    index('notifications_workflow_id_idx').on(t.workflowId),
  ],
);

export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    notificationId: text('notification_id')
      .notNull()
      .references(() => notifications.notificationId, { onDelete: 'cascade' }),
    channel: text('channel').$type<NotificationChannel>().notNull(),
    // E-mail: the admin list (one provider call); SMS: one phone number per row.
    recipient: text('recipient').notNull(),
    // Sent to the provider with every attempt of this delivery.
    idempotencyKey: text('idempotency_key').notNull(),
    status: text('status').$type<NotificationDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    providerMessageId: text('provider_message_id'),
    error: text('error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.channel, t.recipient] })],
);

export type NotificationRow = typeof notifications.$inferSelect;
export type NewNotificationRow = typeof notifications.$inferInsert;
export type NotificationDeliveryRow = typeof notificationDeliveries.$inferSelect;
export type NewNotificationDeliveryRow = typeof notificationDeliveries.$inferInsert;

// One row per LLM request, so that the hourly budget holds across all workers (rows older than
// the window are deleted as new calls are claimed).
export const llmCalls = pgTable(
  'llm_calls',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    calledAt: timestamptz('called_at').notNull(),
  },
  (t) => [index('llm_calls_called_at_idx').on(t.calledAt)],
);
