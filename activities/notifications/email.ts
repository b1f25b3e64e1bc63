// The e-mail channel: Resend. Resend deduplicates on the idempotency key, so an e-mail whose
// attempt was interrupted is sent again with the same key. Its SDK never throws for an HTTP error:
// the answer's `{ data, error }` says what happened.
import type { Resend } from 'resend';
import { loadResend } from '../../lib/provider-sdks.js';
import { providerKey, type Channel, type SendOutcome } from './channel.js';
import { text, type Message } from './messages.js';

export interface EmailSettings {
  apiKey?: string;
  /** Resend API base URL (tests: the fake server). */
  baseUrl?: string;
  from?: string;
  to?: string[];
}

/** The one place the Resend client is constructed (the SDK loads with the first e-mail). */
async function createResendClient(email: EmailSettings): Promise<Resend> {
  const ResendClient = await loadResend();
  return new ResendClient(email.apiKey, email.baseUrl ? { baseUrl: email.baseUrl } : undefined);
}

export function createEmailChannel(email: EmailSettings | undefined, options: { timeoutMs: number }): Channel {
  let resend: Resend | undefined;

  async function send(message: Message, recipient: string, key: string): Promise<SendOutcome> {
    const settings = email!;
    try {
      resend ??= await createResendClient(settings);
      const { data, error } = await resend.emails.send(
        { from: settings.from!, to: recipient.split(','), subject: message.subject, text: message.body },
        { idempotencyKey: providerKey(key), signal: AbortSignal.timeout(options.timeoutMs) },
      );
      if (data?.id) return { ok: true, providerMessageId: data.id };
      const status = error?.statusCode ?? null;
      const reason = `Resend ${status === null ? 'unreachable' : `HTTP ${status}`}: ${text(error?.message ?? 'no id in the answer', 300)}`;
      // No status: no answer at all (network, timeout). The idempotency key makes a retry safe.
      const retryable =
        status === null || status === 429 || status >= 500 || error?.name === 'concurrent_idempotent_requests';
      return { ok: false, retryable, ambiguous: status === null, reason };
    } catch (error) {
      return {
        ok: false,
        retryable: false,
        ambiguous: false,
        reason: `Resend: ${text((error as Error)?.message ?? error, 300)}`,
      };
    }
  }

  return {
    name: 'email',
    noun: 'e-mail',
    repeatable: true,
    unavailable() {
      if (!email?.apiKey) return 'e-mail not configured (RESEND_API_KEY is not set)';
      if (!email.to?.length) return 'no e-mail recipients (ADMIN_EMAILS is empty)';
      if (!email.from) return 'no sender address (ALERT_EMAIL_FROM is empty)';
      return undefined;
    },
    describe: () => `e-mail via Resend to ${email!.to!.length} admin(s)`,
    // One provider call for all the recipients.
    deliveries: (notificationId) => [
      { channel: 'email', recipient: email!.to!.join(','), idempotencyKey: `${notificationId}:email` },
    ],
    send,
  };
}
