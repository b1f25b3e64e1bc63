// Admin-only access: one shared token from configuration. The API takes it only as
// `Authorization: Bearer …`; a browser signs in with it (form or `?token=` link) and then
// carries a session cookie (session.ts), never the token.
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 16;

/** A configuration problem that stops the dashboard from starting (printed as one line). */
export class DashboardConfigError extends Error {
  override name = 'DashboardConfigError';
}

/** The configured token, trimmed; throws an actionable DashboardConfigError when it is unusable. */
export function requireToken(token: string | undefined): string {
  const trimmed = token?.trim();
  if (!trimmed) {
    throw new DashboardConfigError(
      'DASHBOARD_TOKEN is not set: the dashboard is admin-only and does not start without a token. ' +
        `Set DASHBOARD_TOKEN to a random secret of at least ${MIN_TOKEN_LENGTH} characters (e.g. the output of \`openssl rand -hex 24\`).`,
    );
  }
  if (trimmed.length < MIN_TOKEN_LENGTH) {
    throw new DashboardConfigError(
      `DASHBOARD_TOKEN is too short (${trimmed.length} characters): use a random secret of at least ${MIN_TOKEN_LENGTH} characters ` +
        '(e.g. the output of `openssl rand -hex 24`).',
    );
  }
  return trimmed;
}

/** Compares presented tokens with the configured one. */
export class Authenticator {
  private readonly tokenDigest: Buffer;

  constructor(token: string) {
    this.tokenDigest = digest(requireToken(token));
  }

  /** Constant-time: comparing fixed-size digests leaks neither the token nor its length. */
  matchesToken(candidate: string | undefined): boolean {
    return candidate !== undefined && candidate !== '' && timingSafeEqual(digest(candidate.trim()), this.tokenDigest);
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
