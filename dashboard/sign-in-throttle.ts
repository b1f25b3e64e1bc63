// Back-off on failed sign-ins, per client address: a few typos are free, then the client waits
// before its next token is even looked at, a minute at first and an hour once the failures pile
// up. Any wrong token counts (form, link or bearer header); a right one clears the client's record.
import { RateLimiterMemory } from 'rate-limiter-flexible';

/** The `failures`-th failure within `withinSeconds` makes the client wait `waitSeconds`. */
const TIERS = [
  { failures: 5, withinSeconds: 15 * 60, waitSeconds: 60 },
  { failures: 30, withinSeconds: 24 * 60 * 60, waitSeconds: 60 * 60 },
];

export class SignInThrottle {
  // A limiter blocks when more than `points` are consumed.
  private readonly limiters = TIERS.map(
    (tier) =>
      new RateLimiterMemory({
        points: tier.failures - 1,
        duration: tier.withinSeconds,
        blockDuration: tier.waitSeconds,
      }),
  );

  /** Seconds before `client` may try again; 0 when its next attempt is checked. */
  async retryAfterSeconds(client: string): Promise<number> {
    const waits = await Promise.all(
      this.limiters.map(async (limiter) => {
        const state = await limiter.get(client);
        return state && state.consumedPoints > limiter.points ? state.msBeforeNext : 0;
      }),
    );
    return Math.ceil(Math.max(0, ...waits) / 1000);
  }

  async failed(client: string): Promise<void> {
    // consume() rejects once the client is over a tier's limit: that is the block being set, not an error.
    await Promise.all(this.limiters.map((limiter) => limiter.consume(client).catch(() => undefined)));
  }

  async succeeded(client: string): Promise<void> {
    await Promise.all(this.limiters.map((limiter) => limiter.delete(client)));
  }
}
