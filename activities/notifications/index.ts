// Admin notifications: e-mail through Resend, SMS through Twilio (critical by default), with
// exactly-once delivery per decision, a per-signature cooldown with reminders, and a recovery
// notice when a signature that alerted heals. The parts live beside this index:
//   activities.ts  the activities (decision, cooldown, delivery records, retries)
//   messages.ts    what the admins read
//   channel.ts     what a channel is; email.ts (Resend) and sms.ts (Twilio) are the channels,
//                  listed in channels.ts
//   contract.ts    inputs, reports and settings; config.ts reads the settings from the configuration
export { createNotificationActivities } from './activities.js';
export { describeNotificationChannels } from './channels.js';
export { notificationSettingsFromConfig, type NotificationConfig } from './config.js';
export {
  DEFAULT_NOTIFICATION_COOLDOWN_MS,
  type NotificationReport,
  type NotificationSettings,
  type NotifyAdminsInput,
  type NotifyRecoveryInput,
  type RecoveryReport,
} from './contract.js';
export type { EmailSettings } from './email.js';
export type { SmsSettings } from './sms.js';
