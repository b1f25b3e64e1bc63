// Browser sessions after a sign-in. The cookie carries a random session id and its issue time,
// signed with a key derived from the token (hono's signed cookies, HMAC-SHA256). The server keeps
// the live sessions in memory and checks the expiry itself: signing out removes the session, so a
// copy of the cookie stops working at once, and a restart ends every session (nothing to revoke later).
import { createHmac, randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie, getSignedCookie, setSignedCookie, deleteCookie } from 'hono/cookie';

export const SESSION_COOKIE = 'healing_dashboard_session';
export const DEFAULT_SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;
/** Beyond this many live sessions the oldest is ended (one admin token; this only bounds memory). */
const MAX_SESSIONS = 1_000;

/**
 * What the request's cookie amounts to. `ended`: signed with this token's key but no longer live (signed
 * out, or the dashboard restarted); `foreign`: signed with another key (the token changed, or forged).
 */
export type SessionState = 'none' | 'valid' | 'expired' | 'ended' | 'foreign';

export class SessionStore {
  /** Live sessions: id → issue time (ms). Insertion order is issue order. */
  private readonly live = new Map<string, number>();
  private readonly signingKey: Buffer;

  constructor(
    token: string,
    private readonly lifetimeMs: number,
  ) {
    this.signingKey = createHmac('sha256', token).update('self-healing dashboard session signing key v2').digest();
  }

  async start(c: Context, options: { secure: boolean }): Promise<void> {
    this.forgetExpired();
    if (this.live.size >= MAX_SESSIONS) this.live.delete(this.live.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const issuedAt = Date.now();
    this.live.set(id, issuedAt);
    await setSignedCookie(c, SESSION_COOKIE, `${id}.${issuedAt}`, this.signingKey, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: options.secure,
      maxAge: Math.floor(this.lifetimeMs / 1000),
    });
  }

  async read(c: Context): Promise<SessionState> {
    const session = await this.session(c);
    if (typeof session === 'string') return session;
    if (Date.now() >= session.issuedAt + this.lifetimeMs) {
      this.live.delete(session.id);
      return 'expired';
    }
    return this.live.get(session.id) === session.issuedAt ? 'valid' : 'ended';
  }

  /** Ends the request's session (whatever copies of its cookie exist) and clears the cookie. */
  async end(c: Context): Promise<void> {
    const session = await this.session(c);
    if (typeof session !== 'string') this.live.delete(session.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
  }

  private async session(c: Context): Promise<{ id: string; issuedAt: number } | 'none' | 'foreign'> {
    if (getCookie(c, SESSION_COOKIE) === undefined) return 'none';
    // undefined: not shaped like a signed cookie at all (ignored); false: signed with another key.
    const value = await getSignedCookie(c, this.signingKey, SESSION_COOKIE);
    if (value === false) return 'foreign';
    const match = value === undefined ? null : /^([\w-]{43})\.(\d{1,15})$/.exec(value);
    return match ? { id: match[1]!, issuedAt: Number(match[2]) } : 'none';
  }

  private forgetExpired(): void {
    const cutoff = Date.now() - this.lifetimeMs;
    for (const [id, issuedAt] of this.live) {
      if (issuedAt > cutoff) break; // issue order: the rest are younger
      this.live.delete(id);
    }
  }
}
