// A real HTTP server on 127.0.0.1 that records every request and answers from a script:
// the base of the fake OpenAI, Resend and Twilio servers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received. */
  raw: string;
  /** JSON or form-encoded bodies, decoded; undefined otherwise. */
  body: unknown;
}

/** What the server does with one request. */
export type ScriptedReply =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Raw bytes: garbage, truncated JSON, HTML error pages. */
  | {
      kind: 'raw';
      status?: number;
      body: string;
      contentType?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  /** Never answers (until the server closes): a hung provider. */
  | { kind: 'hang' }
  /** Drops the connection without an answer. */
  | { kind: 'destroy' };

export type ReplyFor = (request: RecordedRequest, index: number) => ScriptedReply;

export interface FakeHttpServer {
  /** http://127.0.0.1:PORT (no trailing slash). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queues replies for the next matching requests, before the default handler is used. */
  enqueue(...replies: ScriptedReply[]): void;
  /** Replaces the default handler (used once the queue is empty). */
  setDefault(reply: ReplyFor): void;
  /** Forgets recorded requests and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

function decodeBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      const existing = form[key];
      form[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return form;
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the server. `accepts(request)` decides which requests consume queued replies (others
 * go to the default handler directly), so a health probe does not eat a scripted failure.
 */
export async function startFakeHttpServer(
  defaultReply: ReplyFor,
  accepts: (request: RecordedRequest) => boolean = () => true,
): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  let fallback = defaultReply;
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: { ...req.headers },
      raw,
      body: decodeBody(raw, req.headers['content-type']),
    };
    const index = requests.push(recorded) - 1;
    const reply = (accepts(recorded) && queue.shift()) || fallback(recorded, index);
    if (reply.kind === 'hang') return;
    if (reply.kind === 'destroy') {
      req.socket.destroy();
      return;
    }
    const send = () => {
      if (res.destroyed) return;
      const status = reply.status ?? 200;
      const body = reply.kind === 'json' ? JSON.stringify(reply.body) : reply.body;
      const contentType = reply.kind === 'json' ? 'application/json' : (reply.contentType ?? 'text/plain');
      res.writeHead(status, { 'content-type': contentType, ...reply.headers });
      res.end(body);
    };
    if (reply.delayMs) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, reply.delayMs);
      timers.add(timer);
    } else {
      send();
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599, { 'content-type': 'text/plain' });
      res.end(`fake server error: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    setDefault: (reply) => void (fallback = reply),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The request header as one string (first value), or undefined. */
export function header(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
