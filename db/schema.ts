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
  (t) => [
    index('healing_events_detected_at_idx').on(t.detectedAt),
    index('healing_events_signature_detected_at_idx').on(t.signature, t.detectedAt),
    index('healing_events_operation_idx').on(t.operation),
    index('healing_events_category_idx').on(t.category),
    index('healing_events_severity_idx').on(t.severity),
    index('healing_events_result_idx').on(t.result),
    index('healing_events_workflow_id_idx').on(t.workflowId),
  ],
);

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
  (t) => [index('system_health_checks_name_checked_at_idx').on(t.checkName, t.checkedAt.desc())],
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
    // successes / (successes + failures + 1): the +1 keeps a single lucky success below certainty.
    confidence: doublePrecision('confidence').notNull().default(0),
    diagnosis: jsonb('diagnosis').$type<Diagnosis>(),
    lastSeen: timestamptz('last_seen').notNull().defaultNow(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.signature, t.strategy] })],
);

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
