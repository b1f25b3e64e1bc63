// The LLM API: lists the models with the configured key. Healing may switch to an alternate base URL.
import { loadOpenAI } from '../../../lib/provider-sdks.js';
import { displayUrl, type HealthCheckFactory } from '../check.js';

export interface LlmCheckOptions {
  apiKey?: string;
  baseURL?: string;
  /** Endpoints SWITCH_API_ENDPOINT may move to when the current one fails. */
  alternateBaseURLs?: string[];
  timeoutMs?: number;
}

export const llmApiCheck: HealthCheckFactory = ({ options, defaultTimeoutMs }) => {
  const llm = options.llm ?? {};
  let baseURL = llm.baseURL;
  const alternates = (llm.alternateBaseURLs ?? []).filter((url) => url !== llm.baseURL);
  // Loaded now when configured (a probe's time is the service's), never when not.
  const sdk = llm.apiKey ? loadOpenAI() : undefined;
  sdk?.catch(() => undefined); // the probe reports a failure
  return {
    name: 'llm_api',
    configured: Boolean(llm.apiKey),
    timeoutMs: llm.timeoutMs ?? defaultTimeoutMs,
    async probe({ signal, timeoutMs, endpoint }) {
      const target = endpoint ?? baseURL;
      const { OpenAI } = await (sdk ?? loadOpenAI());
      const client = new OpenAI({ apiKey: llm.apiKey, baseURL: target, timeout: timeoutMs, maxRetries: 0 });
      const page = await client.models.list({ signal });
      const shown = target ? displayUrl(target) : 'https://api.openai.com/v1';
      return { status: 'healthy', details: { baseURL: shown, models: page.data.length } };
    },
    healing: {
      strategies: alternates.length ? ['SWITCH_API_ENDPOINT', 'RETRY_WITH_BACKOFF'] : ['RETRY_WITH_BACKOFF'],
      alternateEndpoints: alternates,
    },
    switchEndpoint(endpoint) {
      if (endpoint === baseURL) return;
      baseURL = endpoint;
      options.onLlmEndpointSwitched?.(endpoint);
    },
  };
};
