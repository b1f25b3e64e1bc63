// One HTTP request whose status says whether a service is up (the file service, user-defined checks).
import { displayUrl, type ProbeOutcome } from './check.js';

export interface HttpTarget {
  url: string;
  method?: string;
  /** One status or a list; default any 2xx. */
  expectedStatus?: number | number[];
  headers?: Record<string, string>;
}

export async function probeHttp(target: HttpTarget, signal: AbortSignal): Promise<ProbeOutcome> {
  const method = (target.method ?? 'GET').toUpperCase();
  const answer = await fetch(target.url, { method, headers: target.headers, signal, redirect: 'manual' });
  await answer.body?.cancel().catch(() => undefined); // only the status matters
  const details = { url: displayUrl(target.url), method, httpStatus: answer.status };
  if (!statusMatches(answer.status, target.expectedStatus)) {
    const expected = String(target.expectedStatus ?? '2xx');
    return {
      status: 'unhealthy',
      details,
      error: `HTTP ${answer.status} (expected ${expected})`,
      httpStatus: answer.status,
    };
  }
  return { status: 'healthy', details };
}

function statusMatches(status: number, expected: number | number[] | undefined): boolean {
  if (expected === undefined) return status >= 200 && status < 300;
  return Array.isArray(expected) ? expected.includes(status) : status === expected;
}
