// User-defined HTTP checks (HEALTH_HTTP_CHECKS), named `http:<name>`.
import type { HealthCheck, HealthCheckFactory } from '../check.js';
import { probeHttp, type HttpTarget } from '../http-probe.js';

export const HTTP_CHECK_PREFIX = 'http:';

export interface HttpCheckConfig extends HttpTarget {
  name: string;
  timeoutMs?: number;
}

export const httpChecks: HealthCheckFactory = ({ options, defaultTimeoutMs }) =>
  (options.http ?? []).map((check): HealthCheck => ({
    name: `${HTTP_CHECK_PREFIX}${check.name}`,
    configured: true,
    timeoutMs: check.timeoutMs ?? defaultTimeoutMs,
    probe: ({ signal, endpoint }) => probeHttp({ ...check, url: endpoint ?? check.url }, signal),
    healing: { strategies: ['RETRY_WITH_BACKOFF'] },
  }));
