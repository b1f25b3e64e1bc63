// notifications + notification_deliveries: one row per notification decision (its id is the
// idempotency key), one row per provider call it needs. The activity that sends them lives in
// activities/notifications.ts; these are its queries.
import { and, asc, count, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from './connection.js';
import {
  notificationDeliveries,
  notifications,
  type NewNotificationDeliveryRow,
  type NewNotificationRow,
  type NotificationChannel,
  type NotificationChannelStatus,
  type NotificationDeliveryRow,
  type NotificationDeliveryStatus,
  type NotificationRow,
} from './schema.js';

export interface NotificationWithDeliveries {
  notification: NotificationRow;
  deliveries: NotificationDeliveryRow[];
}

export interface DeliveryKey {
  notificationId: string;
  channel: NotificationChannel;
  recipient: string;
}

/**
 * Runs `work` in a transaction holding a per-signature advisory lock, so concurrent decisions
 * about one signature (a storm) are taken one after the other: the cooldown sees its own writes.
 */
export async function withSignatureLock<T>(
  db: Database,
  signature: string,
  work: (tx: Database) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`notifications:${signature}`}, 0))`);
    return work(tx as unknown as Database);
  });
}

export async function getNotification(
  db: Database,
  notificationId: string,
): Promise<NotificationWithDeliveries | undefined> {
  const [notification] = await db.select().from(notifications).where(eq(notifications.notificationId, notificationId));
  if (!notification) return undefined;
  const deliveries = await db
    .select()
    .from(notificationDeliveries)
    .where(eq(notificationDeliveries.notificationId, notificationId))
    .orderBy(asc(notificationDeliveries.channel), asc(notificationDeliveries.recipient));
  return { notification, deliveries };
}

/** Every notification, oldest first; optionally of one signature or one workflow run. */
export async function getNotifications(
  db: Database,
  filters: { signature?: string; workflowId?: string } = {},
): Promise<NotificationRow[]> {
  const conditions = [
    filters.signature === undefined ? undefined : eq(notifications.signature, filters.signature),
    filters.workflowId === undefined ? undefined : eq(notifications.workflowId, filters.workflowId),
  ].filter((condition) => condition !== undefined);
  return db
    .select()
    .from(notifications)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(notifications.seq));
}

/** The newest alert or reminder that was sent out (not suppressed) for this signature. */
export async function getLatestSentAlert(db: Database, signature: string): Promise<NotificationRow | undefined> {
  const [row] = await db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.signature, signature),
        inArray(notifications.kind, ['alert', 'reminder']),
        eq(notifications.decision, 'send'),
      ),
    )
    .orderBy(desc(notifications.seq))
    .limit(1);
  return row;
}

/** The newest recovery notice for this signature. */
export async function getLatestRecovery(db: Database, signature: string): Promise<NotificationRow | undefined> {
  const [row] = await db
    .select()
    .from(notifications)
    .where(and(eq(notifications.signature, signature), eq(notifications.kind, 'recovery')))
    .orderBy(desc(notifications.seq))
    .limit(1);
  return row;
}

export async function getRecoveryOf(db: Database, alertNotificationId: string): Promise<NotificationRow | undefined> {
  const [row] = await db
    .select()
    .from(notifications)
    .where(eq(notifications.recoversNotificationId, alertNotificationId));
  return row;
}

/** Alerts of this signature suppressed by the cooldown after the decision numbered `afterSeq`. */
export async function countSuppressedAfter(db: Database, signature: string, afterSeq: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(notifications)
    .where(
      and(
        eq(notifications.signature, signature),
        eq(notifications.decision, 'suppressed'),
        gt(notifications.seq, afterSeq),
      ),
    );
  return Number(row?.n ?? 0);
}

/** Inserts the decision and its deliveries; returns false (and writes nothing) when the id exists. */
export async function insertNotification(
  db: Database,
  row: NewNotificationRow,
  deliveries: Array<Omit<NewNotificationDeliveryRow, 'notificationId'>>,
): Promise<boolean> {
  const [inserted] = await db
    .insert(notifications)
    .values(row)
    .onConflictDoNothing()
    .returning({ id: notifications.notificationId });
  if (!inserted) return false;
  if (deliveries.length > 0) {
    await db
      .insert(notificationDeliveries)
      .values(deliveries.map((delivery) => ({ ...delivery, notificationId: row.notificationId })))
      .onConflictDoNothing();
  }
  return true;
}

function deliveryWhere(key: DeliveryKey) {
  return and(
    eq(notificationDeliveries.notificationId, key.notificationId),
    eq(notificationDeliveries.channel, key.channel),
    eq(notificationDeliveries.recipient, key.recipient),
  );
}

/**
 * Moves a delivery from one of `from` to 'sending' and counts the attempt. Returns the row when
 * this caller won it, undefined when it was not in one of those states (another attempt has it).
 */
export async function claimDelivery(
  db: Database,
  key: DeliveryKey,
  from: NotificationDeliveryStatus[],
): Promise<NotificationDeliveryRow | undefined> {
  const [row] = await db
    .update(notificationDeliveries)
    .set({ status: 'sending', attempts: sql`${notificationDeliveries.attempts} + 1`, updatedAt: sql`now()` })
    .where(and(deliveryWhere(key), inArray(notificationDeliveries.status, from)))
    .returning();
  return row;
}

/** Records what the provider said. `onlyIf` makes it conditional on the current status. */
export async function finishDelivery(
  db: Database,
  key: DeliveryKey,
  outcome: { status: NotificationDeliveryStatus; providerMessageId?: string | null; error?: string | null },
  onlyIf?: NotificationDeliveryStatus,
): Promise<void> {
  await db
    .update(notificationDeliveries)
    .set({
      status: outcome.status,
      ...(outcome.providerMessageId !== undefined ? { providerMessageId: outcome.providerMessageId } : {}),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      updatedAt: sql`now()`,
    })
    .where(onlyIf ? and(deliveryWhere(key), eq(notificationDeliveries.status, onlyIf)) : deliveryWhere(key));
}

function summarise(
  deliveries: NotificationDeliveryRow[],
): { status: NotificationChannelStatus; reason: string | null } | undefined {
  if (deliveries.length === 0) return undefined;
  const failed = deliveries.filter((delivery) => delivery.status === 'failed');
  if (failed.length > 0) {
    const reasons = failed.map((delivery) => delivery.error ?? 'unknown error');
    const prefix = deliveries.length > 1 ? `${failed.length} of ${deliveries.length} failed: ` : '';
    return { status: 'failed', reason: `${prefix}${[...new Set(reasons)].join('; ')}` };
  }
  if (deliveries.every((delivery) => delivery.status === 'sent')) return { status: 'sent', reason: null };
  return { status: 'pending', reason: null };
}

/** Recomputes the per-channel status of a notification from its deliveries; returns the fresh row. */
export async function refreshNotificationStatus(
  db: Database,
  notificationId: string,
): Promise<NotificationWithDeliveries | undefined> {
  const current = await getNotification(db, notificationId);
  if (!current) return undefined;
  const email = summarise(current.deliveries.filter((delivery) => delivery.channel === 'email'));
  const sms = summarise(current.deliveries.filter((delivery) => delivery.channel === 'sms'));
  const changes: Partial<NotificationRow> = {};
  if (
    email &&
    (email.status !== current.notification.emailStatus || email.reason !== current.notification.emailReason)
  ) {
    changes.emailStatus = email.status;
    changes.emailReason = email.reason;
  }
  if (sms && (sms.status !== current.notification.smsStatus || sms.reason !== current.notification.smsReason)) {
    changes.smsStatus = sms.status;
    changes.smsReason = sms.reason;
  }
  if (Object.keys(changes).length === 0) return current;
  const [notification] = await db
    .update(notifications)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(eq(notifications.notificationId, notificationId))
    .returning();
  return { notification: notification ?? current.notification, deliveries: current.deliveries };
}
