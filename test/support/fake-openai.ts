// A fake OpenAI-compatible server: POST /v1/chat/completions and GET /v1/models, recording
// what the `openai` SDK sends and answering from a script.
import { startFakeHttpServer, type FakeHttpServer, type RecordedRequest, type ScriptedReply } from './fake-http.js';

export interface FakeOpenAi extends FakeHttpServer {
  /** Base URL for `new OpenAI({ baseURL })`: http://127.0.0.1:PORT/v1 */
  baseURL: string;
  /** Recorded chat completion requests only. */
  completionRequests(): RecordedRequest[];
  /** Answers the next completion with this assistant content (a JSON string for structured output). */
  answer(content: string, options?: { delayMs?: number; finishReason?: string }): void;
  /** Answers the next completion with this object, serialised. */
  answerJson(value: unknown, options?: { delayMs?: number }): void;
  /** The model refuses the next completion. */
  refuse(refusal?: string): void;
  /** The next completion fails with this HTTP status and an OpenAI-style error body. */
  fail(status: number, options?: { message?: string; headers?: Record<string, string> }): void;
  /** The next completion gets this raw body (not JSON). */
  garbage(body?: string, status?: number): void;
  /** The next completion never answers. */
  hang(): void;
}

let counter = 0;

/** A chat.completion object as the API returns it, with `content` as the assistant message. */
export function chatCompletion(
  content: string | null,
  options: { model?: string; refusal?: string | null; finishReason?: string } = {},
): Record<string, unknown> {
  counter += 1;
  return {
    id: `chatcmpl-fake-${counter}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: options.model ?? 'fake-model',
    choices: [
      {
        index: 0,
        finish_reason: options.finishReason ?? 'stop',
        logprobs: null,
        message: { role: 'assistant', content, refusal: options.refusal ?? null },
      },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
  };
}

const isCompletion = (request: RecordedRequest) =>
  request.method === 'POST' && request.path.endsWith('/chat/completions');

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const server = await startFakeHttpServer((request): ScriptedReply => {
    if (request.method === 'GET' && request.path.endsWith('/models')) {
      return {
        kind: 'json',
        body: { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] },
      };
    }
    if (isCompletion(request)) {
      // Nothing scripted: a well-formed answer nobody asked for is a test bug, so say so loudly.
      return {
        kind: 'json',
        status: 500,
        body: { error: { message: 'fake-openai: no answer scripted', type: 'server_error' } },
      };
    }
    return {
      kind: 'json',
      status: 404,
      body: { error: { message: `fake-openai: no route ${request.method} ${request.path}` } },
    };
  }, isCompletion);

  return {
    ...server,
    baseURL: `${server.url}/v1`,
    completionRequests: () => server.requests.filter(isCompletion),
    answer: (content, options = {}) =>
      server.enqueue({
        kind: 'json',
        body: chatCompletion(content, { finishReason: options.finishReason }),
        delayMs: options.delayMs,
      }),
    answerJson: (value, options = {}) =>
      server.enqueue({ kind: 'json', body: chatCompletion(JSON.stringify(value)), delayMs: options.delayMs }),
    refuse: (refusal = "I'm sorry, I can't help with that.") =>
      server.enqueue({ kind: 'json', body: chatCompletion(null, { refusal }) }),
    fail: (status, options = {}) =>
      server.enqueue({
        kind: 'json',
        status,
        headers: options.headers,
        body: {
          error: {
            message: options.message ?? `fake-openai: HTTP ${status}`,
            type: status === 429 ? 'rate_limit_exceeded' : 'server_error',
            code: status === 429 ? 'rate_limit_exceeded' : null,
            param: null,
          },
        },
      }),
    garbage: (body = '<html>502 Bad Gateway</html>{{{', status = 200) =>
      server.enqueue({ kind: 'raw', status, body, contentType: status === 200 ? 'application/json' : 'text/html' }),
    hang: () => server.enqueue({ kind: 'hang' }),
  };
}
