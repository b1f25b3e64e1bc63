// Admin-only access: one shared token from configuration. A request is let in when it carries
// the token as `Authorization: Bearer …` or `?token=…`, or the session cookie that the login
// form (or a `?token=` link) sets. The cookie holds an HMAC of the token, never the token.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'healing_dashboard_session';
export const MIN_TOKEN_LENGTH = 16;
/** A signed-in browser stays signed in this long (or until the token changes). */
export const SESSION_MAX_AGE_SECONDS = 12 * 60 * 60;

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

export interface Credentials {
  authorization?: string | undefined;
  queryToken?: string | undefined;
  sessionCookie?: string | undefined;
}

export class Authenticator {
  private readonly tokenDigest: Buffer;
  readonly sessionValue: string;
  private readonly sessionDigest: Buffer;

  constructor(token: string) {
    const usable = requireToken(token);
    this.tokenDigest = digest(usable);
    this.sessionValue = createHmac('sha256', usable).update('self-healing dashboard session v1').digest('base64url');
    this.sessionDigest = digest(this.sessionValue);
  }

  /** Constant-time: comparing fixed-size digests leaks neither the token nor its length. */
  matchesToken(candidate: string | undefined): boolean {
    return candidate !== undefined && candidate !== '' && timingSafeEqual(digest(candidate.trim()), this.tokenDigest);
  }

  matchesSession(candidate: string | undefined): boolean {
    return candidate !== undefined && candidate !== '' && timingSafeEqual(digest(candidate), this.sessionDigest);
  }

  isAuthorized(credentials: Credentials): boolean {
    return (
      this.matchesToken(bearerToken(credentials.authorization)) ||
      this.matchesToken(credentials.queryToken) ||
      this.matchesSession(credentials.sessionCookie)
    );
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header?.trim() ?? '');
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
