// Vocabulary shared by the client, the workflows, the activities and the database.
// Pure TypeScript: safe to import from workflow code (no Node modules).

export const ERROR_CATEGORIES = [
  'network',
  'timeout',
  'rate_limit',
  'database_connection',
  'database_constraint',
  'authentication',
  'validation',
  'not_found',
  'runtime',
  'external_service',
  'unknown',
] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STRATEGIES = [
  'RETRY_WITH_BACKOFF',
  'RATE_LIMIT_BACKOFF',
  'FALLBACK_TO_CACHE',
  'SWITCH_API_ENDPOINT',
  'CLEAR_CACHE_AND_RETRY',
  'RESET_CONNECTION',
  'ROLLBACK_TRANSACTION',
  'USE_DEFAULT_VALUE',
  'SKIP_OPERATION',
  'QUEUE_FOR_LATER',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

// joined: an occurrence recorded without a run of its own (its signature's runs were at capacity
// until the caller's deadline); not-started: its healing run could not be started; breaker-open:
// failed fast, its operation's circuit breaker was open.
export const HEALING_RESULTS = [
  'pending',
  'healed',
  'failed',
  'skipped',
  'queued',
  'cancelled',
  'joined',
  'not-started',
  'breaker-open',
] as const;
export type HealingResult = (typeof HEALING_RESULTS)[number];

export const DIAGNOSIS_SOURCES = ['pattern', 'llm', 'rules'] as const;
export type DiagnosisSource = (typeof DIAGNOSIS_SOURCES)[number];

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy', 'skipped'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** A thrown value reduced to sanitised, bounded, serialisable facts. */
export interface ErrorReport {
  /** Error class name, or the JS type for non-Error throwables ("string", "null", ...). */
  name: string;
  message: string;
  stack?: string;
  /** `error.code` (e.g. ECONNRESET, 23505) when present. */
  code?: string;
  /** HTTP status carried by the error (`status` / `statusCode`), when present. */
  status?: number;
  /** Retry-After advice carried by the error, in milliseconds. */
  retryAfterMs?: number;
}

export interface Diagnosis {
  category: ErrorCategory;
  severity: Severity;
  transient: boolean;
  rootCause: string;
  recommendedStrategy: Strategy;
  fallbackStrategies: Strategy[];
  confidence: number;
  explanation: string;
  source: DiagnosisSource;
}
