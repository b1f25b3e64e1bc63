// All configuration comes from the environment, validated once at start-up so a typo
// stops the process with one actionable line instead of failing later.
import path from 'node:path';
import { msToNumber, type StringValue } from '@temporalio/common/lib/time.js';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { codecExposureProblem } from './codec-server.js';
import { DEFAULT_DATA_DIR } from './project-paths.js';

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7233');
const port = z.coerce.number().int().min(1).max(65535);
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() ? value.trim() : undefined));
const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** A duration Temporal understands ('2m', '30s', '1h', or milliseconds), at least one second. */
function isDuration(value: string): boolean {
  try {
    return msToNumber(/^\d+$/.test(value.trim()) ? Number(value) : (value.trim() as StringValue)) >= 1_000;
  } catch {
    return false;
  }
}

/** `u:S3cret@db:5432/x` parses as a URL with the scheme `u:`: only these schemes are PostgreSQL. */
export function isPostgresUrl(value: string): boolean {
  return URL.canParse(value) && ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
}

// The message never repeats the value, which may hold a password.
const postgresUrl = z.string().refine(isPostgresUrl, 'must be a postgres:// or postgresql:// URL');

/** User-defined HTTP health check (HEALTH_HTTP_CHECKS is a JSON array of these). */
const httpCheck = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'name: letters, digits, _ . - only'),
  url: z.string().url(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/)
    .optional(),
  expectedStatus: z.union([z.number().int(), z.array(z.number().int())]).optional(),
  timeoutMs: z.number().int().min(50).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

function jsonList<T extends z.ZodType>(item: T) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value?.trim()) return [];
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array' });
        return z.NEVER;
      }
    })
    .pipe(
      z.array(item).refine((items) => {
        const names = items.map((entry) => (entry as { name?: string }).name);
        return new Set(names).size === names.length;
      }, 'names must be unique'),
    );
}

const envSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('self-healing'),
  TEMPORAL_UI_PORT: port.default(8233),
  TEMPORAL_UI_URL: optionalText,
  // Connecting to a secured cluster (see lib/temporal-connection.ts): mTLS client certificate
  // and key (file paths or PEM), the server's CA and name, or a Temporal Cloud API key.
  TEMPORAL_TLS_CERT: optionalText,
  TEMPORAL_TLS_KEY: optionalText,
  TEMPORAL_TLS_CA: optionalText,
  TEMPORAL_TLS_SERVER_NAME: optionalText,
  TEMPORAL_TLS: optionalText.pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']).optional()),
  TEMPORAL_API_KEY: optionalText,
  // Payload encryption (lib/payload-codec.ts): one base64 32-byte key, or id:base64 pairs (first encrypts).
  PAYLOAD_ENCRYPTION_KEY: optionalText,
  PAYLOAD_ENCRYPTION_KEYS: optionalText,
  // Codec endpoint for the Temporal UI/CLI, started with encryption on; port 0 turns it off.
  CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(8888),
  CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
  CODEC_SERVER_TOKEN: optionalText,
  CODEC_SERVER_CORS_ORIGINS: list,
  DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
  DATABASE_URL: optionalText.pipe(postgresUrl.optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  OPENAI_API_KEY: optionalText,
  OPENAI_BASE_URL: optionalText,
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  LLM_CALLS_PER_HOUR: z.coerce.number().int().min(0).default(60),
  RESEND_API_KEY: optionalText,
  RESEND_BASE_URL: optionalText,
  ALERT_EMAIL_FROM: z.string().default('Self-Healing <alerts@example.com>'),
  ADMIN_EMAILS: list,
  TWILIO_ACCOUNT_SID: optionalText,
  TWILIO_AUTH_TOKEN: optionalText,
  TWILIO_FROM_NUMBER: optionalText,
  TWILIO_BASE_URL: optionalText,
  ADMIN_PHONES: list,
  // Per error signature: after an alert, further ones are only counted (then one reminder) for this long.
  NOTIFICATION_COOLDOWN_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(15 * 60_000),
  // After a heal, the same fault inside this window is a recurrence: the heal did not hold (docs/learning.md).
  RECURRENCE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
  // Heals in a row that did not hold before a fault is escalated (severity, plan, one alert).
  RECURRENCE_ESCALATE_AFTER: z.coerce.number().int().min(1).default(1),
  // Lowest severity that also goes out by SMS (e-mail always).
  SMS_MIN_SEVERITY: z.enum(['low', 'medium', 'high', 'critical']).default('critical'),
  HEALTH_CHECK_INTERVAL: z
    .string()
    .default('2m')
    .refine(isDuration, 'must be a duration such as 2m, 30s or 120000 (ms), at least 1s'),
  HEALTH_CHECK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  HEALTH_DEGRADED_LATENCY_MS: z.coerce.number().int().min(1).default(2_000),
  ALERT_AFTER_FAILURES: z.coerce.number().int().min(1).default(3),
  OPENAI_FALLBACK_BASE_URLS: list,
  FILE_SERVICE_HEALTH_URL: optionalText.pipe(z.string().url('must be an http(s) URL').optional()),
  HEALTH_HTTP_CHECKS: jsonList(httpCheck),
  HEALTH_ERROR_RATE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(5 * 60_000),
  HEALTH_ERROR_RATE_DEGRADED_PER_MIN: z.coerce.number().min(0).default(5),
  HEALTH_ERROR_RATE_UNHEALTHY_PER_MIN: z.coerce.number().min(0).default(20),
  HEALTH_MEMORY_RSS_DEGRADED_MB: z.coerce.number().int().min(1).default(1_024),
  HEALTH_MEMORY_RSS_UNHEALTHY_MB: z.coerce.number().int().min(1).default(2_048),
  // Admin dashboard (dashboard/server.ts): refuses to start without a token.
  DASHBOARD_PORT: port.default(8787),
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  DASHBOARD_TOKEN: optionalText,
  // Dashboard sessions (dashboard/session.ts): X-Forwarded-For/-Proto are believed only from these proxies
  // (addresses, CIDR ranges, or loopback/linklocal/uniquelocal; empty = none); a sign-in lasts this long.
  DASHBOARD_TRUSTED_PROXIES: z
    .preprocess((value) => value ?? 'loopback', list)
    .refine(isProxyTrust, 'must list IP addresses, CIDR ranges or loopback, linklocal, uniquelocal'),
  DASHBOARD_SESSION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(12),
  // Retention (workers/retention-schedule.ts): how long each table keeps its rows; hourly counts stay.
  RETENTION_HEALING_EVENTS: z.string().default('90d').refine(isDuration, 'must be a duration such as 90d, 12h or ms'),
  RETENTION_HEALTH_CHECKS: z.string().default('30d').refine(isDuration, 'must be a duration such as 30d, 12h or ms'),
  // Observability (docs/observability.md): Prometheus /metrics when METRICS_PORT is set; OpenTelemetry
  // traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads the other OTEL_* itself).
  METRICS_PORT: z.preprocess(
    (value) => (typeof value === 'string' && !value.trim() ? undefined : value),
    port.optional(),
  ),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalText.pipe(z.string().url('must be an http(s) URL').optional()),
});

function isProxyTrust(entries: string[]): boolean {
  try {
    proxyAddr.compile(entries);
    return true;
  } catch {
    return false;
  }
}

/** Rules across settings, checked with the rest before anything starts. */
const configSchema = envSchema.superRefine((config, ctx) => {
  const encrypting = Boolean(config.PAYLOAD_ENCRYPTION_KEY || config.PAYLOAD_ENCRYPTION_KEYS);
  const codecProblem = codecExposureProblem(config.CODEC_SERVER_HOST, config.CODEC_SERVER_TOKEN);
  if (encrypting && config.CODEC_SERVER_PORT !== 0 && codecProblem) {
    ctx.addIssue({ code: 'custom', path: ['CODEC_SERVER_TOKEN'], message: `must be set: ${codecProblem}` });
  }
});

export type Config = z.infer<typeof envSchema> & { temporalUiUrl: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid configuration: ${issue.path.join('.')} ${issue.message}`);
  }
  const config = parsed.data;
  return {
    ...config,
    DATA_DIR: path.resolve(config.DATA_DIR),
    temporalUiUrl: config.TEMPORAL_UI_URL ?? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`,
  };
}
