// The notification settings from the process's configuration.
import type { Severity } from '../../common/types.js';
import type { NotificationSettings } from './contract.js';

/** The subset of the configuration the notifications read (lib/config.ts `Config`). */
export interface NotificationConfig {
  TEMPORAL_NAMESPACE: string;
  temporalUiUrl: string;
  RESEND_API_KEY?: string;
  RESEND_BASE_URL?: string;
  ALERT_EMAIL_FROM: string;
  ADMIN_EMAILS: string[];
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM_NUMBER?: string;
  TWILIO_BASE_URL?: string;
  ADMIN_PHONES: string[];
  NOTIFICATION_COOLDOWN_MS?: number;
  SMS_MIN_SEVERITY?: Severity;
}

export function notificationSettingsFromConfig(config: NotificationConfig): NotificationSettings {
  return {
    temporalUiUrl: config.temporalUiUrl,
    namespace: config.TEMPORAL_NAMESPACE,
    email: {
      apiKey: config.RESEND_API_KEY,
      baseUrl: config.RESEND_BASE_URL,
      from: config.ALERT_EMAIL_FROM,
      to: config.ADMIN_EMAILS,
    },
    sms: {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      from: config.TWILIO_FROM_NUMBER,
      to: config.ADMIN_PHONES,
      baseUrl: config.TWILIO_BASE_URL,
    },
    ...(config.NOTIFICATION_COOLDOWN_MS !== undefined ? { cooldownMs: config.NOTIFICATION_COOLDOWN_MS } : {}),
    ...(config.SMS_MIN_SEVERITY !== undefined ? { smsMinSeverity: config.SMS_MIN_SEVERITY } : {}),
  };
}
