// Every notification channel. A channel is one file in this folder behind `Channel` (channel.ts).
import type { Channel } from './channel.js';
import type { NotificationSettings } from './contract.js';
import { createEmailChannel } from './email.js';
import { createSmsChannel } from './sms.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export interface Channels {
  email: Channel;
  /** Only for severity `smsMinSeverity` and above. */
  sms: Channel;
}

export function createChannels(settings: NotificationSettings): Channels {
  const timeoutMs = settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    email: createEmailChannel(settings.email, { timeoutMs }),
    sms: createSmsChannel(settings.sms, { timeoutMs, minSeverity: settings.smsMinSeverity ?? 'critical' }),
  };
}

/** One line per channel for the start-up log: what is configured, what is not and why. */
export function describeNotificationChannels(settings: NotificationSettings): string[] {
  return Object.values(createChannels(settings)).map((channel) => channel.unavailable() ?? channel.describe());
}
