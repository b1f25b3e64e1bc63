// SMS (Twilio): fetches the configured account, which must be active. Healing may rebuild the client.
import type twilio from 'twilio';
import { loadTwilio } from '../../../lib/provider-sdks.js';
import type { HealthCheckFactory } from '../check.js';

export interface SmsCheckOptions {
  accountSid?: string;
  authToken?: string;
  baseUrl?: string;
  timeoutMs?: number;
}

export const smsCheck: HealthCheckFactory = ({ options, defaultTimeoutMs }) => {
  const { accountSid, authToken, baseUrl, timeoutMs = defaultTimeoutMs } = options.sms ?? {};
  // Kept between runs (keep-alive agents); RESET_CONNECTION builds a new one.
  let client: ReturnType<typeof twilio> | undefined;
  // Loaded now when configured (a probe's time is the service's), never when not.
  const sdk = accountSid && authToken ? loadTwilio() : undefined;
  sdk?.catch(() => undefined); // the probe reports a failure
  return {
    name: 'sms',
    configured: Boolean(accountSid && authToken),
    timeoutMs,
    async probe() {
      if (!client) {
        client = (await (sdk ?? loadTwilio()))(accountSid, authToken, { timeout: timeoutMs });
        if (baseUrl) client.api.baseUrl = baseUrl;
      }
      const account = await client.api.accounts(accountSid!).fetch();
      const details = { accountStatus: account.status, type: account.type };
      return account.status === 'active'
        ? { status: 'healthy', details }
        : { status: 'unhealthy', details, error: `Twilio account is ${account.status}` };
    },
    healing: { strategies: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'] },
    hooks: { resetConnection: async () => void (client = undefined) },
  };
};
