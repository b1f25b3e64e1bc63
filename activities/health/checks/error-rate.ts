// The error rate: healing events per minute over a recent window, against two thresholds. No
// healing fits it (healing events are its input).
import { countHealingEvents } from '../../../db/index.js';
import type { HealthCheckFactory } from '../check.js';

export interface ErrorRateCheckOptions {
  windowMs?: number;
  degradedPerMinute?: number;
  unhealthyPerMinute?: number;
}

export const errorRateCheck: HealthCheckFactory = ({ db, options, defaultTimeoutMs }) => {
  const { windowMs = 5 * 60_000, degradedPerMinute = 5, unhealthyPerMinute = 20 } = options.errorRate ?? {};
  const minutes = windowMs / 60_000;
  return {
    name: 'error_rate',
    configured: true,
    timeoutMs: defaultTimeoutMs,
    async probe() {
      const events = await countHealingEvents(db, { from: new Date(Date.now() - windowMs) });
      const perMinute = events / minutes;
      const shown = Math.round(perMinute * 100) / 100;
      const details = { events, windowMs, perMinute: shown, degradedPerMinute, unhealthyPerMinute };
      if (perMinute >= unhealthyPerMinute) {
        const error = `${shown} errors/min over the last ${minutes} min (threshold ${unhealthyPerMinute})`;
        return { status: 'unhealthy', details, error };
      }
      if (perMinute >= degradedPerMinute) {
        return { status: 'degraded', details, error: `${shown} errors/min (warning at ${degradedPerMinute})` };
      }
      return { status: 'healthy', details };
    },
  };
};
