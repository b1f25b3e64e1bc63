// Admin notifications: e-mail through Resend, SMS through Twilio (critical by default), with
// exactly-once delivery per decision, a per-signature cooldown with reminders, and a recovery
// notice when a signature that alerted heals. The parts live in notifications/:
//   activities.ts  the activities (decision, cooldown, delivery records, retries)
//   messages.ts    what the admins read
//   channel.ts     what a channel is; email.ts (Resend) and sms.ts (Twilio) are the channels,
//                  listed in channels.ts
//   contract.ts    inputs, reports and settings; config.ts reads the settings from the configuration
export { createNotificationActivities } from './notifications/activities.js';
export { describeNotificationChannels } from './notifications/channels.js';
export { notificationSettingsFromConfig, type NotificationConfig } from './notifications/config.js';
export {
  DEFAULT_NOTIFICATION_COOLDOWN_MS,
  type NotificationReport,
  type NotificationSettings,
  type NotifyAdminsInput,
  type NotifyRecoveryInput,
  type RecoveryReport,
} from './notifications/contract.js';
export type { EmailSettings } from './notifications/email.js';
export type { SmsSettings } from './notifications/sms.js';
