// E-mail (Resend): lists the domains with the configured key. Healing may rebuild the client.
import type { Resend } from 'resend';
import { loadResend } from '../../../lib/provider-sdks.js';
import type { HealthCheckFactory } from '../check.js';

export interface EmailCheckOptions {
  apiKey?: string;
  baseUrl?: string;
  timeoutMs?: number;
}

export const emailCheck: HealthCheckFactory = ({ options, defaultTimeoutMs }) => {
  const email = options.email ?? {};
  // Kept between runs (keep-alive agents); RESET_CONNECTION builds a new one.
  let client: Resend | undefined;
  // Loaded now when configured (a probe's time is the service's), never when not.
  const sdk = email.apiKey ? loadResend() : undefined;
  sdk?.catch(() => undefined); // the probe reports a failure
  return {
    name: 'email',
    configured: Boolean(email.apiKey),
    timeoutMs: email.timeoutMs ?? defaultTimeoutMs,
    async probe({ signal }) {
      client ??= new (await (sdk ?? loadResend()))(
        email.apiKey,
        email.baseUrl ? { baseUrl: email.baseUrl } : undefined,
      );
      const { data, error } = await client.domains.list(undefined, { signal });
      if (error) {
        // A send-only key may not list domains, yet it is valid and the API answered.
        if (error.name === 'restricted_api_key') return { status: 'healthy', details: { keyScope: 'sending_access' } };
        return {
          status: 'unhealthy',
          error: `${error.name}: ${error.message}`,
          ...(error.statusCode ? { httpStatus: error.statusCode } : {}),
        };
      }
      // The answer is the provider's: its shape is checked, not assumed.
      return { status: 'healthy', details: { domains: Array.isArray(data?.data) ? data.data.length : undefined } };
    },
    healing: { strategies: ['RESET_CONNECTION', 'RETRY_WITH_BACKOFF'] },
    hooks: { resetConnection: async () => void (client = undefined) },
  };
};
