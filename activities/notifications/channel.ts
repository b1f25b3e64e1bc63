// What one notification channel is. Each channel lives in its own file (email.ts: Resend, sms.ts:
// Twilio) behind this interface; activities.ts decides what to send and records every delivery
// the same way for all of them.
import { createHash } from 'node:crypto';
import type { NewNotificationDeliveryRow, NotificationChannel } from '../../db/schema.js';
import type { Message } from './messages.js';

export type SendOutcome =
  | { ok: true; providerMessageId: string }
  /** retryable: try again later; ambiguous: the provider may have acted on it. */
  | { ok: false; retryable: boolean; ambiguous: boolean; reason: string };

/** One provider call to make: a `notification_deliveries` row without its notification. */
export type PlannedDelivery = Omit<NewNotificationDeliveryRow, 'notificationId'>;

export interface Channel {
  name: NotificationChannel;
  /** How the channel's messages are called in a reason ("a duplicate SMS"). */
  noun: string;
  /**
   * The provider deduplicates on the idempotency key: a send interrupted mid-call may be made
   * again. When false, such a send is recorded as failed ("outcome unknown") instead.
   */
  repeatable: boolean;
  /** Why this channel cannot send (not configured, no recipients), or undefined. */
  unavailable(): string | undefined;
  /** The start-up log's line for a channel that can send. */
  describe(): string;
  /** The provider calls one notification needs, each with its own idempotency key. */
  deliveries(notificationId: string): PlannedDelivery[];
  /** One provider call; never throws. */
  send(message: Message, recipient: string, idempotencyKey: string): Promise<SendOutcome>;
}

/** The idempotency key as the providers take it (bounded length). */
export function providerKey(key: string): string {
  return key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
