// Health alerts through the admins' notification activities.
import { healthOperation, type HealthAlert, type HealthAlertOutcome } from '../../common/health-contract.js';
import type {
  NotificationReport,
  NotifyAdminsInput,
  NotifyRecoveryInput,
  RecoveryReport,
} from '../notifications/index.js';

export type HealthAlertSender = (alert: HealthAlert) => Promise<HealthAlertOutcome>;

/**
 * An alert is a notifyAdmins decision (e-mail, and SMS when critical; idempotent on the
 * notification id), a recovery is notifyRecoveryIfAlerted (only when that alert actually went
 * out, once per alert).
 */
export function alertsViaNotifications(notifications: {
  notifyAdmins(input: NotifyAdminsInput): Promise<NotificationReport>;
  notifyRecoveryIfAlerted(input: NotifyRecoveryInput): Promise<RecoveryReport>;
}): HealthAlertSender {
  const channels = (report: NotificationReport) =>
    `email ${report.email}, sms ${report.sms}${report.suppressed ? ' (suppressed: cooldown)' : ''}`;
  return async (alert) => {
    const operation = healthOperation(alert.check);
    if (alert.kind === 'recovery') {
      const report = await notifications.notifyRecoveryIfAlerted({
        signature: operation,
        operation,
        workflowId: alert.healthWorkflowId,
      });
      return report.notified
        ? { sent: report.email === 'sent' || report.sms === 'sent', detail: channels(report) }
        : { sent: false, detail: report.reason };
    }
    const problem = alert.error ?? alert.status;
    const report = await notifications.notifyAdmins({
      notificationId: alert.notificationId,
      workflowId: alert.healingWorkflowId ?? alert.healthWorkflowId,
      operation,
      signature: operation,
      errorMessage: problem,
      ...(alert.diagnosis ? { diagnosis: alert.diagnosis } : {}),
      strategiesTried: [],
      result: 'failed',
      reason: `Health check ${alert.check} failed ${alert.consecutiveFailures} times in a row: ${problem}`,
    });
    return { sent: report.email === 'sent' || report.sms === 'sent', detail: channels(report) };
  };
}
