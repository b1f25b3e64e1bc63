// The file service: an HTTP request to its health URL.
import type { HealthCheckFactory } from '../check.js';
import { probeHttp } from '../http-probe.js';

export interface FileServiceCheckOptions {
  url?: string;
  timeoutMs?: number;
  expectedStatus?: number | number[];
}

export const fileServiceCheck: HealthCheckFactory = ({ options, defaultTimeoutMs }) => {
  const { url, timeoutMs = defaultTimeoutMs, expectedStatus } = options.fileService ?? {};
  return {
    name: 'file_service',
    configured: Boolean(url),
    timeoutMs,
    probe: ({ signal, endpoint }) => probeHttp({ url: endpoint ?? url!, expectedStatus }, signal),
    healing: { strategies: ['RETRY_WITH_BACKOFF'] },
  };
};
