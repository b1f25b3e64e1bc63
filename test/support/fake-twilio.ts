// A fake Twilio REST API: POST /2010-04-01/Accounts/{AC…}/Messages.json (form-encoded) answering
// 201 with a Message resource, and GET /2010-04-01/Accounts/{AC…}.json for probes.
import {
  header,
  startFakeHttpServer,
  type FakeHttpServer,
  type RecordedRequest,
  type ScriptedReply,
} from './fake-http.js';

export interface FakeSms {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  idempotencyKey?: string;
}

export interface FakeTwilio extends FakeHttpServer {
  /** Recorded message-create requests. */
  messageRequests(): RecordedRequest[];
  /** Messages accepted (every successful create: Twilio does not deduplicate). */
  delivered: FakeSms[];
  /** The next create fails with this HTTP status and a Twilio-style error body. */
  fail(status: number, code?: number, message?: string): void;
  garbage(status?: number): void;
  hang(): void;
}

const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/(AC[A-Za-z0-9]+)\/Messages\.json$/;
const ACCOUNT_PATH = /^\/2010-04-01\/Accounts\/(AC[A-Za-z0-9]+)\.json$/;
const isCreate = (request: RecordedRequest) => request.method === 'POST' && MESSAGES_PATH.test(request.path);

/** RFC 2822, as Twilio formats its dates. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const delivered: FakeSms[] = [];
  let counter = 0;
  const server = await startFakeHttpServer((request): ScriptedReply => {
    const account = ACCOUNT_PATH.exec(request.path);
    if (request.method === 'GET' && account) {
      return { kind: 'json', body: { sid: account[1], friendly_name: 'fake', status: 'active', type: 'Full' } };
    }
    const match = MESSAGES_PATH.exec(request.path);
    if (!match || request.method !== 'POST') {
      return {
        kind: 'json',
        status: 404,
        body: { code: 20404, message: 'The requested resource was not found', status: 404 },
      };
    }
    if (!header(request, 'authorization')?.startsWith('Basic ')) {
      return { kind: 'json', status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
    }
    const form = (request.body ?? {}) as Record<string, string>;
    if (!form.To || !form.From || !form.Body) {
      return {
        kind: 'json',
        status: 400,
        body: { code: 21604, message: "A 'To', 'From' and 'Body' are required", status: 400 },
      };
    }
    counter += 1;
    const sid = `SM${String(counter).padStart(32, '0')}`;
    const now = rfc2822(new Date());
    delivered.push({
      sid,
      accountSid: match[1]!,
      from: form.From,
      to: form.To,
      body: form.Body,
      idempotencyKey: header(request, 'idempotency-key'),
    });
    return {
      kind: 'json',
      status: 201,
      body: {
        sid,
        account_sid: match[1],
        api_version: '2010-04-01',
        body: form.Body,
        date_created: now,
        date_updated: now,
        date_sent: null,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: form.From,
        messaging_service_sid: null,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        status: 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}/Media.json` },
        to: form.To,
        uri: `/2010-04-01/Accounts/${match[1]}/Messages/${sid}.json`,
      },
    };
  }, isCreate);

  return {
    ...server,
    delivered,
    messageRequests: () => server.requests.filter(isCreate),
    reset: () => {
      server.reset();
      delivered.length = 0;
    },
    fail: (status, code = status === 429 ? 20429 : 20500, message = `fake-twilio: HTTP ${status}`) =>
      server.enqueue({
        kind: 'json',
        status,
        body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
      }),
    garbage: (status = 502) =>
      server.enqueue({ kind: 'raw', status, body: '<html>Bad Gateway</html>', contentType: 'text/html' }),
    hang: () => server.enqueue({ kind: 'hang' }),
  };
}
