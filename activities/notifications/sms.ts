// The SMS channel: Twilio. Twilio does not document an idempotency key: an SMS whose attempt was
// interrupted mid-call is recorded as failed ("outcome unknown") rather than risk a second text.
// Its SDK throws `RestException` (status, code) for an HTTP error.
import type { Severity } from '../../common/types.js';
import { loadTwilio } from '../../lib/provider-sdks.js';
import { providerKey, type Channel, type SendOutcome } from './channel.js';
import { text, type Message } from './messages.js';

export interface SmsSettings {
  /** Starts with AC. */
  accountSid?: string;
  authToken?: string;
  from?: string;
  to?: string[];
  /** Twilio API base URL (tests: the fake server). */
  baseUrl?: string;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The one place the Twilio client is constructed (one per send: the idempotency key is per request
 * client). The SDK loads with the first SMS.
 */
async function createTwilioClient(sms: SmsSettings, key: string, timeoutMs: number) {
  const twilio = await loadTwilio();
  // Twilio's SDK has no per-call header option: a request client that adds the key.
  class KeyedRequestClient extends twilio.RequestClient {
    override request<T>(opts: Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0]) {
      opts.headers = { ...opts.headers, 'Idempotency-Key': providerKey(key) };
      return super.request<T>(opts as never);
    }
  }
  const client = twilio(sms.accountSid, sms.authToken, {
    httpClient: new KeyedRequestClient({ timeout: timeoutMs, autoRetry: false }),
    autoRetry: false,
  });
  if (sms.baseUrl) client.api.baseUrl = sms.baseUrl.replace(/\/+$/, '');
  return client;
}

export function createSmsChannel(
  sms: SmsSettings | undefined,
  options: { timeoutMs: number; minSeverity: Severity },
): Channel {
  async function send(message: Message, to: string, key: string): Promise<SendOutcome> {
    const settings = sms!;
    try {
      const client = await createTwilioClient(settings, key, options.timeoutMs);
      const sent = await client.messages.create({ from: settings.from!, to, body: message.sms });
      return { ok: true, providerMessageId: sent.sid };
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const code = (error as { code?: unknown }).code;
      const reason = `Twilio ${typeof status === 'number' ? `HTTP ${status}` : typeof code === 'string' ? code : 'error'}: ${text((error as Error)?.message ?? error, 300)}`;
      if (typeof status === 'number') {
        return { ok: false, retryable: status === 429 || status >= 500, ambiguous: false, reason };
      }
      if (typeof code === 'string' && NOT_SENT_CODES.has(code))
        return { ok: false, retryable: true, ambiguous: false, reason };
      if (typeof code === 'string') return { ok: false, retryable: true, ambiguous: true, reason };
      // Not an HTTP or network error (e.g. an invalid account SID): retrying will not help.
      return { ok: false, retryable: false, ambiguous: false, reason };
    }
  }

  return {
    name: 'sms',
    noun: 'SMS',
    repeatable: false,
    unavailable() {
      if (!sms?.accountSid || !sms.authToken)
        return 'SMS not configured (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN are not set)';
      if (!sms.from) return 'SMS not configured (TWILIO_FROM_NUMBER is not set)';
      if (!sms.to?.length) return 'no SMS recipients (ADMIN_PHONES is empty)';
      return undefined;
    },
    describe: () => `SMS via Twilio to ${sms!.to!.length} admin(s) for severity ${options.minSeverity}+`,
    // One provider call per phone.
    deliveries: (notificationId) =>
      sms!.to!.map((phone, index) => ({
        channel: 'sms',
        recipient: phone,
        idempotencyKey: `${notificationId}:sms:${index + 1}`,
      })),
    send,
  };
}
