// The healing workflow's audit records (activities/audit.ts) against both drivers: each is one
// statement, idempotent under activity retries, and recordOutcome tells whether a recovery notice
// may be due, so that a run whose fault never alerted skips notifyRecoveryIfAlerted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalysisCaches } from '../activities/analysis-cache.js';
import { knownFaultReader } from '../activities/analysis.js';
import { createAuditActivities } from '../activities/audit.js';
import type { AttemptRecord } from '../common/healing-contract.js';
import { getHealingEvent, getHealingPatterns, getHealWatch, type NewNotificationRow } from '../db/index.js';
import { insertNotification } from '../db/notifications.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { networkDiagnosis } from './support/diagnoses.js';

const diagnosis = networkDiagnosis({ explanation: 'retry' });

function occurrence(workflowId: string, signature: string) {
  return {
    workflowId,
    operation: 'records.op',
    error: { name: 'Error', message: 'read ECONNRESET', code: 'ECONNRESET' },
    signature,
    detectedAt: new Date().toISOString(),
    runId: 'run-1',
  };
}

function attempt(workflowId: string, n: number): AttemptRecord {
  return {
    id: `${workflowId}:${n}`,
    strategy: 'RETRY_WITH_BACKOFF',
    result: 'healed',
    durationMs: 12,
    at: new Date().toISOString(),
  };
}

function alert(signature: string, overrides: Partial<NewNotificationRow> = {}): NewNotificationRow {
  return {
    notificationId: `alert-${signature}-${Math.random()}`,
    kind: 'alert',
    decision: 'send',
    signature,
    workflowId: 'heal-earlier',
    operation: 'records.op',
    subject: 's',
    body: 'b',
    emailStatus: 'sent',
    smsStatus: 'skipped',
    ...overrides,
  };
}

describe.each(['postgres', 'pglite'] as const)('healing records (%s)', (kind) => {
  let database: TestDatabase;
  let audit: ReturnType<typeof createAuditActivities>;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const caches = createAnalysisCaches();
    audit = createAuditActivities(database.handle.db, {
      learned: (signature) => caches.patterns.forget(signature),
      knownFault: knownFaultReader(database.handle.db, caches, { patternConfidenceThreshold: 0.1 }),
    });
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('writes the occurrence, diagnosis and outcome once, however often each is retried', async () => {
    const workflowId = `heal-records-${kind}-once`;
    await audit.recordOccurrence(occurrence(workflowId, 'sig-once'));
    await audit.recordOccurrence(occurrence(workflowId, 'sig-once'));
    await audit.recordDiagnosis({ workflowId, diagnosis });
    const outcome = {
      workflowId,
      result: 'healed' as const,
      strategy: 'RETRY_WITH_BACKOFF' as const,
      healingDurationMs: 40,
      attempt: attempt(workflowId, 1),
    };
    await expect(audit.recordOutcome(outcome)).resolves.toEqual({ recoveryMayBeDue: false });
    const first = await getHealingEvent(database.handle.db, workflowId);
    await audit.recordOutcome(outcome);
    const row = await getHealingEvent(database.handle.db, workflowId);
    expect(row).toMatchObject({
      result: 'healed',
      strategy: 'RETRY_WITH_BACKOFF',
      category: 'network',
      diagnosisSource: 'rules',
      attempts: 1,
      healingDurationMs: 40,
    });
    expect(row!.attemptLog).toEqual([outcome.attempt]);
    expect(row!.resolvedAt).toEqual(first!.resolvedAt); // the first resolution time is kept
  });

  it('commits a simple run in one record: occurrence, outcome and what it learned, counted once', async () => {
    const workflowId = `heal-records-${kind}-simple`;
    const signature = `sig-simple-${kind}`;
    const deciding = attempt(workflowId, 1);
    const record = {
      workflowId,
      result: 'healed' as const,
      strategy: 'RETRY_WITH_BACKOFF' as const,
      healingDurationMs: 30,
      attempt: deciding,
      diagnosis,
      occurrence: occurrence(workflowId, signature),
      learning: {
        attemptId: deciding.id,
        signature,
        strategy: deciding.strategy,
        success: true,
        healingMs: 12,
        diagnosis,
      },
    };
    const answer = await audit.recordOutcome(record);
    await audit.recordOutcome(record); // an activity retry
    expect(answer.known).toMatchObject({ diagnosis: { category: 'network' } });
    expect(await getHealingEvent(database.handle.db, workflowId)).toMatchObject({ result: 'healed', attempts: 1 });
    const [pattern] = await getHealingPatterns(database.handle.db, { signature });
    expect(pattern).toMatchObject({ strategy: 'RETRY_WITH_BACKOFF', successCount: 1, failureCount: 0 });
    expect(await getHealWatch(database.handle.db, signature)).toMatchObject({ healAttempt: deciding.id });
  });

  it('keeps earlier attempts and counts the deciding one', async () => {
    const workflowId = `heal-records-${kind}-escalated`;
    await audit.recordOccurrence(occurrence(workflowId, 'sig-escalated'));
    await audit.recordAttempt({
      workflowId,
      attempt: { ...attempt(workflowId, 1), result: 'failed', error: 'still down' },
      diagnosis,
    });
    expect(await getHealingEvent(database.handle.db, workflowId)).toMatchObject({
      category: 'network',
      severity: 'high',
      diagnosisSource: 'rules',
      result: 'pending',
    });
    await audit.recordOutcome({
      workflowId,
      result: 'healed',
      strategy: 'USE_DEFAULT_VALUE',
      healingDurationMs: 90,
      attempt: { ...attempt(workflowId, 2), strategy: 'USE_DEFAULT_VALUE' },
    });
    const row = await getHealingEvent(database.handle.db, workflowId);
    expect(row).toMatchObject({ result: 'healed', strategy: 'USE_DEFAULT_VALUE', attempts: 2 });
    expect(row!.attemptLog.map((entry) => entry.id)).toEqual([`${workflowId}:1`, `${workflowId}:2`]);
  });

  it('records the diagnosis with the outcome when no earlier record carried it', async () => {
    const workflowId = `heal-records-${kind}-diagnosed-late`;
    await audit.recordOccurrence(occurrence(workflowId, 'sig-late'));
    await audit.recordOutcome({
      workflowId,
      result: 'healed',
      strategy: 'RETRY_WITH_BACKOFF',
      healingDurationMs: 7,
      attempt: attempt(workflowId, 1),
      diagnosis,
    });
    expect(await getHealingEvent(database.handle.db, workflowId)).toMatchObject({
      result: 'healed',
      category: 'network',
      severity: 'high',
      diagnosisSource: 'rules',
      diagnosis,
      attempts: 1,
    });
  });

  it('says a recovery notice may be due only after a sent alert that no other run has recovered', async () => {
    const signature = `sig-recovery-${kind}`;
    const run = (n: number) => `heal-records-${kind}-recovery-${n}`;
    const healed = async (workflowId: string) => {
      await audit.recordOccurrence(occurrence(workflowId, signature));
      return audit.recordOutcome({
        workflowId,
        result: 'healed',
        strategy: 'RETRY_WITH_BACKOFF',
        healingDurationMs: 5,
        attempt: attempt(workflowId, 1),
        recoveryCheck: { signature },
      });
    };
    await expect(healed(run(1))).resolves.toEqual({ recoveryMayBeDue: false }); // never alerted
    await insertNotification(database.handle.db, alert(signature, { decision: 'suppressed' }), []);
    await expect(healed(run(2))).resolves.toEqual({ recoveryMayBeDue: false }); // suppressed: nothing was sent

    const sent = alert(signature);
    await insertNotification(database.handle.db, sent, []);
    await expect(healed(run(3))).resolves.toEqual({ recoveryMayBeDue: true });
    // Without the check (the run alerts itself, or its starter owns alerting) nothing is looked up.
    await audit.recordOccurrence(occurrence(run(4), signature));
    await expect(audit.recordOutcome({ workflowId: run(4), result: 'failed', healingDurationMs: 5 })).resolves.toEqual({
      recoveryMayBeDue: false,
    });

    // Run 3 announced the recovery: a retry of run 3 still goes on (its notice may be unsent), other runs skip it.
    await insertNotification(
      database.handle.db,
      alert(signature, {
        notificationId: `${sent.notificationId}:recovered`,
        kind: 'recovery',
        workflowId: run(3),
        recoversNotificationId: sent.notificationId,
      }),
      [],
    );
    await expect(healed(run(3))).resolves.toEqual({ recoveryMayBeDue: true });
    await expect(healed(run(5))).resolves.toEqual({ recoveryMayBeDue: false });

    // A reminder after the recovery is the latest sent notice: the next healed run may recover it.
    await insertNotification(database.handle.db, alert(signature, { kind: 'reminder' }), []);
    await expect(healed(run(6))).resolves.toEqual({ recoveryMayBeDue: true });
  });
});
