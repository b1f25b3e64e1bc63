// A fake Resend API: POST /emails (JSON, snake_case) answering {id}, honouring Idempotency-Key
// the way Resend does (same key → same id, nothing new delivered), and GET /domains for probes.
import { randomUUID } from 'node:crypto';
import {
  header,
  startFakeHttpServer,
  type FakeHttpServer,
  type RecordedRequest,
  type ScriptedReply,
} from './fake-http.js';

export interface FakeEmail {
  id: string;
  idempotencyKey?: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
}

export interface FakeResend extends FakeHttpServer {
  /** Recorded POST /emails requests (every attempt, replays included). */
  emailRequests(): RecordedRequest[];
  /** Distinct e-mails accepted for delivery (a replayed idempotency key is not a new e-mail). */
  delivered: FakeEmail[];
  /** The next send fails with this status and a Resend-style error body. */
  fail(status: number, name?: string, message?: string): void;
  /** The next send gets a raw, non-JSON body. */
  garbage(status?: number): void;
  hang(): void;
}

const isSend = (request: RecordedRequest) => request.method === 'POST' && request.path === '/emails';

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? [value] : [];
}

export async function startFakeResend(): Promise<FakeResend> {
  const delivered: FakeEmail[] = [];
  const byKey = new Map<string, string>();
  const server = await startFakeHttpServer((request): ScriptedReply => {
    if (request.method === 'GET' && request.path === '/domains')
      return { kind: 'json', body: { object: 'list', data: [] } };
    if (!isSend(request))
      return { kind: 'json', status: 404, body: { name: 'not_found', message: 'no route', statusCode: 404 } };
    if (!header(request, 'authorization')?.startsWith('Bearer ')) {
      return {
        kind: 'json',
        status: 401,
        body: { name: 'missing_api_key', message: 'Missing API key', statusCode: 401 },
      };
    }
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body.from !== 'string' || asList(body.to).length === 0 || typeof body.subject !== 'string') {
      return {
        kind: 'json',
        status: 422,
        body: { name: 'validation_error', message: 'from, to and subject are required', statusCode: 422 },
      };
    }
    const key = header(request, 'idempotency-key');
    const known = key === undefined ? undefined : byKey.get(key);
    if (known) return { kind: 'json', body: { id: known } };
    const id = randomUUID();
    if (key !== undefined) byKey.set(key, id);
    delivered.push({
      id,
      idempotencyKey: key,
      from: body.from,
      to: asList(body.to),
      subject: body.subject,
      text: typeof body.text === 'string' ? body.text : undefined,
      html: typeof body.html === 'string' ? body.html : undefined,
    });
    return { kind: 'json', body: { id } };
  }, isSend);

  return {
    ...server,
    delivered,
    emailRequests: () => server.requests.filter(isSend),
    reset: () => {
      server.reset();
      delivered.length = 0;
      byKey.clear();
    },
    fail: (
      status,
      name = status === 429 ? 'rate_limit_exceeded' : 'internal_server_error',
      message = `fake-resend: HTTP ${status}`,
    ) => server.enqueue({ kind: 'json', status, body: { name, message, statusCode: status } }),
    garbage: (status = 502) =>
      server.enqueue({ kind: 'raw', status, body: '<html>Bad Gateway</html>', contentType: 'text/html' }),
    hang: () => server.enqueue({ kind: 'hang' }),
  };
}
