// The health checks' settings: one section per check (its type lives in the check's file).
import type { Config } from '../../lib/config.js';
import type { HealthAlertSender } from './alerts.js';
import type { EmailCheckOptions } from './checks/email.js';
import type { ErrorRateCheckOptions } from './checks/error-rate.js';
import type { FileServiceCheckOptions } from './checks/file-service.js';
import type { HttpCheckConfig } from './checks/http.js';
import type { LlmCheckOptions } from './checks/llm-api.js';
import type { MemoryCheckOptions } from './checks/memory.js';
import type { SmsCheckOptions } from './checks/sms.js';

export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
export const DEFAULT_DEGRADED_LATENCY_MS = 2_000;
export const DEFAULT_ALERT_AFTER_FAILURES = 3;

export interface HealthCheckOptions {
  /** Default bound on one check. Default 5 000 ms. */
  timeoutMs?: number;
  /** A healthy answer slower than this is degraded. Default 2 000 ms. */
  degradedLatencyMs?: number;
  /** Alert admins after this many consecutive failures of one check (at least 1). Default 3. */
  alertAfterFailures?: number;
  llm?: LlmCheckOptions;
  email?: EmailCheckOptions;
  sms?: SmsCheckOptions;
  errorRate?: ErrorRateCheckOptions;
  memory?: MemoryCheckOptions;
  fileService?: FileServiceCheckOptions;
  http?: HttpCheckConfig[];
  /** Application hooks proactive healing may run (see activities/system-operations.ts). */
  hooks?: { clearCaches?: () => unknown };
  /** Told when healing switched the LLM API to another base URL. */
  onLlmEndpointSwitched?: (baseURL: string) => void;
  /** Where health alerts go; default: the notifyAdmins activity. */
  sendAlert?: HealthAlertSender;
}

/** Health-check options from the environment configuration. */
export function healthOptionsFromConfig(config: Config): HealthCheckOptions {
  return {
    timeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    degradedLatencyMs: config.HEALTH_DEGRADED_LATENCY_MS,
    alertAfterFailures: config.ALERT_AFTER_FAILURES,
    llm: {
      apiKey: config.OPENAI_API_KEY,
      baseURL: config.OPENAI_BASE_URL,
      alternateBaseURLs: config.OPENAI_FALLBACK_BASE_URLS,
      timeoutMs: Math.min(config.OPENAI_TIMEOUT_MS, config.HEALTH_CHECK_TIMEOUT_MS),
    },
    email: { apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL },
    sms: {
      accountSid: config.TWILIO_ACCOUNT_SID,
      authToken: config.TWILIO_AUTH_TOKEN,
      baseUrl: config.TWILIO_BASE_URL,
    },
    errorRate: {
      windowMs: config.HEALTH_ERROR_RATE_WINDOW_MS,
      degradedPerMinute: config.HEALTH_ERROR_RATE_DEGRADED_PER_MIN,
      unhealthyPerMinute: config.HEALTH_ERROR_RATE_UNHEALTHY_PER_MIN,
    },
    memory: {
      rssDegradedMb: config.HEALTH_MEMORY_RSS_DEGRADED_MB,
      rssUnhealthyMb: config.HEALTH_MEMORY_RSS_UNHEALTHY_MB,
    },
    fileService: { url: config.FILE_SERVICE_HEALTH_URL },
    http: config.HEALTH_HTTP_CHECKS,
  };
}
