// The breaker's alerts: an opening is an admins' alert (notifyAdmins, keyed by breaker and
// opening number), its close the recovery notice of that alert (sent only when the alert went
// out). Both are idempotent, so a retried activity or a replayed workflow sends nothing twice;
// the notifications' per-signature cooldown applies (a breaker that flaps is counted, not re-sent).
import type {
  NotificationReport,
  NotifyAdminsInput,
  NotifyRecoveryInput,
  RecoveryReport,
} from './notifications/index.js';

export interface BreakerChange {
  breakerId: string;
  operation: string;
  change: 'opened' | 'closed';
  /** Which opening (1, 2, …) this change belongs to. */
  opening: number;
  reason: string;
}

export function createCircuitBreakerActivities(notifications: {
  notifyAdmins(input: NotifyAdminsInput): Promise<NotificationReport>;
  notifyRecoveryIfAlerted(input: NotifyRecoveryInput): Promise<RecoveryReport>;
}) {
  return {
    async notifyBreakerChange(change: BreakerChange): Promise<{ sent: boolean; detail: string }> {
      if (change.change === 'closed') {
        const report = await notifications.notifyRecoveryIfAlerted({
          signature: change.breakerId,
          operation: change.operation,
          workflowId: change.breakerId,
        });
        return report.notified
          ? { sent: report.email === 'sent' || report.sms === 'sent', detail: report.kind }
          : { sent: false, detail: report.reason };
      }
      const report = await notifications.notifyAdmins({
        notificationId: `${change.breakerId}:opened:${change.opening}`,
        workflowId: change.breakerId,
        operation: change.operation,
        signature: change.breakerId,
        errorMessage: `circuit breaker ${change.breakerId} opened: ${change.reason}`,
        strategiesTried: [],
        result: 'failed',
        reason: `Calls of ${change.operation} fail fast until a probe succeeds. ${change.reason}`,
      });
      return {
        sent: report.email === 'sent' || report.sms === 'sent',
        detail: report.suppressed ? 'suppressed (cooldown)' : report.kind,
      };
    },
  };
}
