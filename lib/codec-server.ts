// Codec endpoint for the Temporal UI and CLI: `POST /encode` and `POST /decode` with the JSON
// body `{"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}` (protobuf JSON),
// answering in the same shape. The UI calls it from the operator's browser (so CORS), setting
// `X-Namespace`; `temporal --codec-endpoint URL --codec-auth 'Bearer TOKEN'` does the same.
// With CODEC_SERVER_TOKEN set, requests must carry `Authorization: Bearer <token>`.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isLoopbackHost } from './loopback.js';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** 0 picks a free port (tests). */
  port: number;
  /** Interface to listen on. Default 127.0.0.1; 0.0.0.0 inside a container (then a token is required). */
  host?: string;
  /** When set, `Authorization: Bearer <token>` (or the bare token) is required on /encode and /decode. */
  token?: string;
  /** Browser origins allowed to call it (the Temporal UI's), or '*'. Default none: same-origin and CLI only. */
  corsOrigins?: readonly string[];
  /** Largest request body accepted. Default 32 MiB. */
  maxBodyBytes?: number;
  /** Called for each request that fails, without payload contents. */
  onError?: (error: Error, request: { path: string; status: number }) => void;
}

export interface CodecServer {
  /** e.g. http://127.0.0.1:8888 */
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_MAX_BODY = 32 * 1024 * 1024;

/** Why the endpoint must not listen on `host` with this token: it decrypts for whoever can reach it. */
export function codecExposureProblem(host: string, token: string | undefined): string | undefined {
  if (token?.trim() || isLoopbackHost(host)) return undefined;
  return `the codec endpoint would listen on ${host}, not a loopback address, and decrypt payloads for any caller`;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time check of the Authorization header against the token (Bearer prefix optional). */
export function isAuthorized(header: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  if (!header) return false;
  const presented = header.replace(/^Bearer\s+/i, '').trim();
  return timingSafeEqual(digest(presented), digest(token));
}

/** Adds the localhost / 127.0.0.1 twin of each loopback origin: browsers treat them as different origins. */
export function withLoopbackTwins(origins: readonly string[]): string[] {
  const all = new Set<string>();
  for (const origin of origins) {
    const trimmed = origin.replace(/\/$/, '');
    all.add(trimmed);
    if (trimmed.includes('://localhost')) all.add(trimmed.replace('://localhost', '://127.0.0.1'));
    if (trimmed.includes('://127.0.0.1')) all.add(trimmed.replace('://127.0.0.1', '://localhost'));
  }
  return [...all];
}

function allowedOrigin(origin: string | undefined, allowed: readonly string[]): string | undefined {
  if (!origin) return undefined;
  if (allowed.includes('*')) return origin;
  const normalized = origin.replace(/\/$/, '');
  return allowed.some((entry) => entry.replace(/\/$/, '') === normalized) ? origin : undefined;
}

function corsHeaders(request: IncomingMessage, allowed: readonly string[]): Record<string, string> {
  const origin = allowedOrigin(request.headers.origin, allowed);
  if (!origin) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Namespace',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function base64(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string') throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/** Protobuf-JSON payloads → SDK payloads. */
export function payloadsFromJson(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new HttpError(400, 'body must be {"payloads": [...]}');
  return list.map((item: unknown, index) => {
    if (item === null || typeof item !== 'object') throw new HttpError(400, `payloads[${index}] must be an object`);
    const { metadata = {}, data = '' } = item as { metadata?: unknown; data?: unknown };
    if (metadata === null || typeof metadata !== 'object')
      throw new HttpError(400, `payloads[${index}].metadata must be an object`);
    return {
      metadata: Object.fromEntries(
        Object.entries(metadata as Record<string, unknown>).map(([key, value]) => [
          key,
          base64(value, `payloads[${index}].metadata.${key}`),
        ]),
      ),
      data: base64(data, `payloads[${index}].data`),
    };
  });
}

/** SDK payloads → protobuf-JSON payloads. */
export function payloadsToJson(payloads: Payload[]): { payloads: JsonPayload[] } {
  return {
    payloads: payloads.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
    })),
  };
}

function send(response: ServerResponse, status: number, headers: Record<string, string>, body?: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    ...(body === undefined
      ? {}
      : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(text);
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const allowed = options.corsOrigins ?? [];
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const token = options.token?.trim() || undefined;
  const host = options.host ?? '127.0.0.1';
  const exposure = codecExposureProblem(host, token);
  if (exposure) throw new Error(`a token is required: ${exposure}`);

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const cors = corsHeaders(request, allowed);
    const path = new URL(request.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    try {
      if (request.method === 'OPTIONS') return send(response, 204, cors); // preflights carry no credentials
      if (request.method === 'GET' && (path === '' || path === '/health'))
        return send(response, 200, cors, { status: 'ok' });
      if (!operation) throw new HttpError(404, 'use POST /encode or POST /decode');
      if (request.method !== 'POST') throw new HttpError(405, 'use POST');
      if (!isAuthorized(request.headers.authorization, token))
        throw new HttpError(401, 'missing or wrong Authorization token');
      let body: unknown;
      try {
        body = JSON.parse(await readBody(request, limit));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, 'body is not JSON');
      }
      const payloads = payloadsFromJson(body);
      const result =
        operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return send(response, 200, cors, payloadsToJson(result));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 422;
      options.onError?.(error as Error, { path, status });
      return send(
        response,
        status,
        { ...cors, ...(status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {}) },
        { error: (error as Error).message },
      );
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
