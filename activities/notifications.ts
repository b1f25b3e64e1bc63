// Admin notifications for critical or unhealed errors. Providers arrive with the
// notifications issue; until then every notification is recorded as skipped.
import type { Diagnosis, HealingResult, Strategy } from '../common/types.js';

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
}

export interface NotificationReport {
  email: 'sent' | 'skipped' | 'failed';
  sms: 'sent' | 'skipped' | 'failed';
}

export function createNotificationActivities() {
  return {
    async notifyAdmins(_input: NotifyAdminsInput): Promise<NotificationReport> {
      return { email: 'skipped', sms: 'skipped' };
    },
  };
}
