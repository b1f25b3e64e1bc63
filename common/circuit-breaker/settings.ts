// What an operation declares about its shared circuit breaker, and the defaults. Pure: the client
// validates the application's choice with it, the breaker workflow reads it.

export interface CircuitBreakerSettings {
  /** Share of failed calls in the window, over every instance, at which it opens (0 < rate ≤ 1). Default 0.5. */
  failureRate: number;
  /** The sliding window the rate is measured over. Default 30 s. */
  windowMs: number;
  /** Calls in the window (all instances together) below which it never opens. Default 10. */
  minimumCalls: number;
  /**
   * Instances that must each see the failures (their own rate at or over `failureRate`) before it
   * opens; when fewer instances report in the window, all of them. Default 2.
   */
  quorum: number;
  /** How long it stays open before the system's probe; doubled after each failed probe. Default 30 s. */
  openMs: number;
  /** Bound on the doubled wait. Default 5 min. */
  maxOpenMs: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSettings = {
  failureRate: 0.5,
  windowMs: 30_000,
  minimumCalls: 10,
  quorum: 2,
  openMs: 30_000,
  maxOpenMs: 5 * 60_000,
};

/** Thrown for settings that cannot work (at withSelfHealing, before any call). */
export class CircuitBreakerSettingsError extends Error {
  override name = 'CircuitBreakerSettingsError';
}

const RULES: { [K in keyof CircuitBreakerSettings]: [(value: number) => boolean, string] } = {
  failureRate: [(value) => value > 0 && value <= 1, 'a number above 0 and at most 1'],
  windowMs: [(value) => Number.isInteger(value) && value >= 1_000, 'a whole number of milliseconds, at least 1000'],
  minimumCalls: [(value) => Number.isInteger(value) && value >= 1, 'a whole number, at least 1'],
  quorum: [(value) => Number.isInteger(value) && value >= 1, 'a whole number, at least 1'],
  openMs: [(value) => Number.isInteger(value) && value >= 100, 'a whole number of milliseconds, at least 100'],
  maxOpenMs: [(value) => Number.isInteger(value) && value >= 100, 'a whole number of milliseconds, at least 100'],
};

/** The defaults with `overrides` applied; throws CircuitBreakerSettingsError naming what is wrong. */
export function resolveCircuitBreaker(
  operation: string,
  overrides: Partial<CircuitBreakerSettings> = {},
): CircuitBreakerSettings {
  const settings: CircuitBreakerSettings = { ...DEFAULT_CIRCUIT_BREAKER, ...overrides };
  if (overrides.maxOpenMs === undefined) settings.maxOpenMs = Math.max(settings.maxOpenMs, settings.openMs);
  for (const key of Object.keys(overrides)) {
    if (!(key in RULES)) throw new CircuitBreakerSettingsError(`${operation}: unknown circuitBreaker setting "${key}"`);
  }
  for (const [key, [valid, expected]] of Object.entries(RULES) as [
    keyof CircuitBreakerSettings,
    [(v: number) => boolean, string],
  ][]) {
    const value = settings[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
      throw new CircuitBreakerSettingsError(
        `${operation}: circuitBreaker.${key} must be ${expected}, got ${String(value)}`,
      );
    }
  }
  if (settings.maxOpenMs < settings.openMs) {
    throw new CircuitBreakerSettingsError(`${operation}: circuitBreaker.maxOpenMs must not be below openMs`);
  }
  return settings;
}
