// Occurrences recorded without a healing run of their own (see common/occurrence-log-contract.ts):
// one multi-row INSERT per batch, idempotent on the event key so a retried activity, or an
// occurrence whose run did start after all, is never recorded twice.
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import type { JoinedOccurrence } from '../common/occurrence-log-contract.js';
import type { Database } from './connection.js';
import { MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_STACK_CHARS, truncateForText } from './healing-events.js';
import { healingEvents } from './schema.js';

export interface JoinedOccurrenceBatch {
  operation: string;
  signature: string;
  /** The occurrence log run that recorded them (the event's workflow id unless it names its own run). */
  logWorkflowId: string;
  occurrences: JoinedOccurrence[];
}

/** Returns how many were new. Each carries its fault's diagnosis, when a run has made one. */
export async function recordJoinedOccurrences(db: Database, batch: JoinedOccurrenceBatch): Promise<number> {
  if (batch.occurrences.length === 0) return 0;
  const diagnosed = await latestDiagnosis(db, batch.signature);
  const rows = batch.occurrences.map((occurrence) => ({
    ...diagnosed,
    eventKey: occurrence.eventKey,
    operation: batch.operation,
    signature: batch.signature,
    errorClass: occurrence.error.name,
    errorMessage: truncateForText(occurrence.error.message, MAX_ERROR_MESSAGE_CHARS),
    errorStack: occurrence.error.stack == null ? null : truncateForText(occurrence.error.stack, MAX_ERROR_STACK_CHARS),
    errorCode: occurrence.error.code,
    result: occurrence.result,
    strategy: occurrence.strategy,
    attempts: occurrence.result === 'healed' ? 1 : 0,
    workflowId: occurrence.healingWorkflowId ?? batch.logWorkflowId,
    context: {
      ...occurrence.context,
      recordedBy: batch.logWorkflowId,
      joinedRun: occurrence.healingWorkflowId ?? null,
    },
    detectedAt: new Date(occurrence.detectedAt),
    resolvedAt: new Date(),
  }));
  const inserted = await db
    .insert(healingEvents)
    .values(rows)
    .onConflictDoNothing({ target: healingEvents.eventKey })
    .returning({ id: healingEvents.id });
  return inserted.length;
}

async function latestDiagnosis(db: Database, signature: string) {
  const [row] = await db
    .select({
      category: healingEvents.category,
      severity: healingEvents.severity,
      diagnosis: healingEvents.diagnosis,
      diagnosisSource: healingEvents.diagnosisSource,
    })
    .from(healingEvents)
    .where(and(eq(healingEvents.signature, signature), isNotNull(healingEvents.diagnosis)))
    .orderBy(desc(healingEvents.detectedAt))
    .limit(1);
  return row ?? {};
}
