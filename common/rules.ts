// Deterministic diagnosis from an ErrorReport: the answer when no learned pattern and no LLM
// decides. Imported by workflow code: pure.
import { fittingStrategies, type FaultFacts, type OperationPolicy } from './strategies/index.js';
import type { Diagnosis, ErrorCategory, ErrorReport, Severity } from './types.js';

export interface RulesContext {
  operation: string;
  /** What the operation declared: the diagnosis recommends only strategies it can carry out. */
  policy: OperationPolicy;
}

/** What the rules found, before strategies and severity. */
export interface RuleClassification {
  category: ErrorCategory;
  transient: boolean;
  confidence: number;
  /** What matched, for the explanation: "code ECONNRESET", "HTTP 429", … */
  evidence: string;
  /** What was recognised beyond the category (a deadlock, a stale cache, a dead endpoint). */
  kind?: FaultFacts['kind'];
}

export const SPECIFIC_CONFIDENCE = 0.6;
export const WEAK_CONFIDENCE = 0.5;
export const UNKNOWN_CONFIDENCE = 0.3;
const NOTHING_ALLOWED_CONFIDENCE = 0.2;

const TRANSIENT_BY_CATEGORY: Record<ErrorCategory, boolean> = {
  network: true,
  timeout: true,
  rate_limit: true,
  database_connection: true,
  external_service: true,
  unknown: true,
  database_constraint: false,
  authentication: false,
  validation: false,
  not_found: false,
  runtime: false,
};

const BASE_SEVERITY: Record<ErrorCategory, Severity> = {
  authentication: 'critical',
  database_connection: 'critical',
  database_constraint: 'high',
  external_service: 'high',
  runtime: 'high',
  network: 'medium',
  timeout: 'medium',
  rate_limit: 'medium',
  unknown: 'medium',
  validation: 'low',
  not_found: 'low',
};

const ROOT_CAUSE: Record<ErrorCategory, string> = {
  network: 'A network connection to a dependency failed',
  timeout: 'The operation or a dependency did not answer in time',
  rate_limit: 'A dependency is rate limiting the requests',
  database_connection: 'The database connection failed or was lost',
  database_constraint: 'A database constraint rejected the write',
  authentication: 'The credentials were rejected or lack permission',
  validation: 'The request or its data is invalid',
  not_found: 'The requested resource does not exist',
  runtime: 'A programming error in the application code',
  external_service: 'An external service failed with a server error',
  unknown: 'The cause could not be determined from the error',
};

// ---------------------------------------------------------------------------------------------
// Classification

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ETIME',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_TIMEOUT',
  '57014', // postgres query_canceled (statement_timeout)
]);
const DB_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR']);
const TRANSACTION_CODES = new Set([
  '40001',
  '40P01',
  '55P03',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);
const CONSTRAINT_CODES = new Set([
  'ER_DUP_ENTRY',
  'ER_NO_REFERENCED_ROW_2',
  'ER_ROW_IS_REFERENCED_2',
  '11000',
  'P2002',
  'P2003',
]);
const AUTH_CODES = new Set([
  '42501',
  'ER_ACCESS_DENIED_ERROR',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
]);

const DB_OPERATION_WORDS = new Set([
  'db',
  'database',
  'sql',
  'query',
  'repo',
  'repository',
  'postgres',
  'pg',
  'mysql',
  'redis',
  'mongo',
  'mongodb',
  'dao',
]);

function operationWords(operation: string): string[] {
  return operation
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** A connection error that is about a database rather than an HTTP dependency. */
function looksLikeDatabase(report: ErrorReport, operation: string): boolean {
  if (/postgres|sequelize|prisma|typeorm|mongo|mysql|redis|drizzle|knex|database|sql|pglite/i.test(report.name))
    return true;
  if (/postgres|database|\bdb\b|mysql|redis|mongo|\bsql|:(5432|3306|6379|27017)\b/i.test(report.message)) return true;
  return operationWords(operation).some((word) => DB_OPERATION_WORDS.has(word));
}

function matched(
  category: ErrorCategory,
  evidence: string,
  confidence = SPECIFIC_CONFIDENCE,
  kind?: RuleClassification['kind'],
): RuleClassification {
  // A transaction conflict or a stale cache entry goes away once rolled back or cleared.
  const transient = kind !== undefined || TRANSIENT_BY_CATEGORY[category];
  return { category, transient, confidence, evidence, ...(kind ? { kind } : {}) };
}

/** Refused connections and unknown hosts: the endpoint itself is down or gone. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
]);

function byCode(report: ErrorReport, operation: string): RuleClassification | undefined {
  const code = report.code?.trim().toUpperCase();
  if (!code) return undefined;
  const evidence = `code ${code}`;
  if (TRANSACTION_CODES.has(code)) return matched('runtime', evidence, SPECIFIC_CONFIDENCE, 'transaction-conflict');
  if (TIMEOUT_CODES.has(code)) {
    return looksLikeDatabase(report, operation) && code !== '57014'
      ? matched('database_connection', evidence)
      : matched('timeout', evidence);
  }
  if (NETWORK_CODES.has(code)) {
    if (code === 'ECONNABORTED' && /time[d\s-]*out/i.test(report.message)) return matched('timeout', evidence);
    if (looksLikeDatabase(report, operation)) return matched('database_connection', evidence);
    return matched('network', evidence, SPECIFIC_CONFIDENCE, UNREACHABLE_CODES.has(code) ? 'unreachable' : undefined);
  }
  if (DB_CONNECTION_CODES.has(code)) return matched('database_connection', evidence);
  if (CONSTRAINT_CODES.has(code) || code.startsWith('SQLITE_CONSTRAINT'))
    return matched('database_constraint', evidence);
  if (AUTH_CODES.has(code)) return matched('authentication', evidence);
  if (code === 'ERR_TOO_MANY_REQUESTS' || code === 'RESOURCE_EXHAUSTED' || code === 'RATE_LIMITED')
    return matched('rate_limit', evidence);
  // SQLSTATE classes; only when no HTTP status (other systems use 5-digit codes too).
  if (report.status === undefined && /^[0-9][0-9A-Z]{4}$/.test(code)) {
    const sqlClass = code.slice(0, 2);
    if (sqlClass === '08' || sqlClass === '53') return matched('database_connection', `SQLSTATE ${code}`);
    if (sqlClass === '23') return matched('database_constraint', `SQLSTATE ${code}`);
    if (sqlClass === '28') return matched('authentication', `SQLSTATE ${code}`);
    if (sqlClass === '22') return matched('validation', `SQLSTATE ${code}`);
    if (sqlClass === '42' || sqlClass === '3D' || sqlClass === '3F') return matched('runtime', `SQLSTATE ${code}`);
    if (sqlClass === '40') return matched('runtime', `SQLSTATE ${code}`, SPECIFIC_CONFIDENCE, 'transaction-conflict');
  }
  return undefined;
}

function byStatus(report: ErrorReport): RuleClassification | undefined {
  const status = report.status;
  if (status === undefined) return undefined;
  const evidence = `HTTP ${status}`;
  if (status === 429) return matched('rate_limit', evidence);
  if (status === 408 || status === 504) return matched('timeout', evidence);
  if (status === 401 || status === 403 || status === 407) return matched('authentication', evidence);
  if (status === 404 || status === 410) return matched('not_found', evidence);
  if (status === 400 || status === 422) return matched('validation', evidence);
  if (status === 501 || status === 505) return { ...matched('external_service', evidence), transient: false };
  if (status >= 500 && status <= 599) return matched('external_service', evidence);
  if (status >= 400 && status <= 499 && status !== 409 && status !== 425)
    return matched('validation', evidence, WEAK_CONFIDENCE);
  return undefined;
}

function byName(report: ErrorReport, operation: string): RuleClassification | undefined {
  const name = report.name;
  const evidence = `error class ${name}`;
  if (/timeout/i.test(name)) return matched('timeout', evidence);
  if (name === 'AbortError' && /time[d\s-]*out/i.test(report.message)) return matched('timeout', evidence);
  if (/ratelimit|throttl|toomanyrequests/i.test(name)) return matched('rate_limit', evidence);
  if (/(connection|network|socket|fetch)error$/i.test(name) || /^(FetchError|APIConnectionError)$/.test(name)) {
    return looksLikeDatabase(report, operation)
      ? matched('database_connection', evidence)
      : matched('network', evidence);
  }
  if (/unauthori[sz]ed|authentication|forbidden|permissiondenied|accessdenied/i.test(name))
    return matched('authentication', evidence);
  if (/notfound/i.test(name)) return matched('not_found', evidence);
  if (/validation|^ZodError$|badrequest|unprocessable|invalidargument/i.test(name))
    return matched('validation', evidence);
  if (/internalservererror|serviceunavailable|badgateway|upstream/i.test(name))
    return matched('external_service', evidence);
  return undefined;
}

const STRONG_MESSAGE_RULES: Array<[RegExp, ErrorCategory, RuleClassification['kind']?]> = [
  [
    /deadlock|could not serialize|serialization failure|lock wait timeout|database is locked|could not obtain lock/i,
    'runtime',
    'transaction-conflict',
  ],
  [
    /(?:stale|corrupt(?:ed)?|poisoned|inconsistent) cache|cache(?:d)? (?:entry|value|data|item)s? (?:is |was |are )?(?:stale|corrupt(?:ed)?|poisoned|invalid)/i,
    'unknown',
    'stale-cache',
  ],
  [
    /duplicate key|violates [\w-]*\s*(?:unique|foreign key|not-null|check|exclusion)?\s*constraint|unique constraint|foreign key constraint|integrity constraint|duplicate entry/i,
    'database_constraint',
  ],
  [
    /too many (?:clients|connections)|remaining connection slots|connection terminated|terminating connection|database system is (?:starting up|shutting down|in recovery)|encountered a connection error|timeout exceeded when trying to connect|could not connect to (?:server|database)|connection (?:to (?:the )?(?:database|server) )?(?:was )?lost|server closed the connection/i,
    'database_connection',
  ],
  [/rate[ _-]?limit|too many requests|quota exceeded|throttl/i, 'rate_limit'],
  [/timed?[ -]?out|time-out|deadline exceeded/i, 'timeout'],
  [
    /ECONNREFUSED|ECONNRESET|connection refused|connection reset|socket hang up|network (?:error|is unreachable)|fetch failed|EPIPE|broken pipe|ENOTFOUND|getaddrinfo|EAI_AGAIN|other side closed|socket closed/i,
    'network',
  ],
  [
    /service unavailable|bad gateway|internal server error|upstream|temporarily unavailable|overloaded/i,
    'external_service',
  ],
  [
    /unauthori[sz]ed|forbidden|permission denied|access denied|invalid (?:api[ _-]?key|token|credentials|signature)|authentication failed|not authenticated|jwt expired|token (?:has )?expired|invalid_grant/i,
    'authentication',
  ],
];

const RUNTIME_NAMES =
  /^(TypeError|ReferenceError|RangeError|SyntaxError|EvalError|URIError|AssertionError|InternalError)$/;
const RUNTIME_MESSAGES =
  /is not a function|is not defined|cannot read propert|cannot set propert|undefined is not|null is not|maximum call stack|is not iterable|before initialization|assignment to constant/i;

const WEAK_MESSAGE_RULES: Array<[RegExp, ErrorCategory]> = [
  [/not found|does not exist|no such|unknown (?:user|resource|record|id)/i, 'not_found'],
  [
    /invalid|validation|must be|is required|required field|malformed|bad request|unprocessable|out of range/i,
    'validation',
  ],
];

function byMessage(report: ErrorReport, operation: string): RuleClassification | undefined {
  const message = report.message;
  for (const [pattern, category, kind] of STRONG_MESSAGE_RULES) {
    const hit = pattern.exec(message);
    if (!hit) continue;
    const evidence = `message mentions "${hit[0].toLowerCase()}"`;
    if (category === 'network' && looksLikeDatabase(report, operation)) return matched('database_connection', evidence);
    const unreachable =
      category === 'network' && /ECONNREFUSED|connection refused|ENOTFOUND|getaddrinfo|EAI_AGAIN/i.test(hit[0]);
    return matched(category, evidence, SPECIFIC_CONFIDENCE, unreachable ? 'unreachable' : kind);
  }
  if (RUNTIME_NAMES.test(report.name)) return matched('runtime', `error class ${report.name}`);
  const runtimeHit = RUNTIME_MESSAGES.exec(message);
  if (runtimeHit) return matched('runtime', `message mentions "${runtimeHit[0].toLowerCase()}"`);
  for (const [pattern, category] of WEAK_MESSAGE_RULES) {
    const hit = pattern.exec(message);
    if (hit) return matched(category, `message mentions "${hit[0].toLowerCase()}"`, WEAK_CONFIDENCE);
  }
  return undefined;
}

/** The category and transience of an error, with what matched. */
export function classifyError(report: ErrorReport, operation = ''): RuleClassification {
  try {
    const safe: ErrorReport = {
      ...report,
      name: typeof report.name === 'string' ? report.name : '',
      message: typeof report.message === 'string' ? report.message : '',
    };
    return (
      byCode(safe, operation) ??
      byStatus(safe) ??
      byName(safe, operation) ??
      byMessage(safe, operation) ?? {
        category: 'unknown',
        transient: true,
        confidence: UNKNOWN_CONFIDENCE,
        evidence: 'no rule matched',
      }
    );
  } catch {
    return { category: 'unknown', transient: true, confidence: UNKNOWN_CONFIDENCE, evidence: 'unreadable error' };
  }
}

// ---------------------------------------------------------------------------------------------
// Diagnosis

const SEVERITY_ORDER: Severity[] = ['low', 'medium', 'high', 'critical'];

function atLeast(severity: Severity, floor: Severity): Severity {
  return SEVERITY_ORDER.indexOf(severity) >= SEVERITY_ORDER.indexOf(floor) ? severity : floor;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

/** The facts the planner ranks strategies by: the diagnosis' category and transience, the rules' kind. */
export function faultFacts(
  diagnosis: Pick<Diagnosis, 'category' | 'transient'>,
  report: ErrorReport,
  operation: string,
): FaultFacts {
  return toFault(diagnosis, classifyError(report, operation).kind, report);
}

function toFault(
  found: Pick<Diagnosis, 'category' | 'transient'>,
  kind: FaultFacts['kind'],
  report: ErrorReport,
): FaultFacts {
  return {
    category: found.category,
    transient: found.transient,
    ...(kind ? { kind } : {}),
    ...(report.retryAfterMs !== undefined ? { retryAfterMs: report.retryAfterMs } : {}),
  };
}

/**
 * Diagnoses an error with deterministic rules (source 'rules'): error code (Node network codes,
 * SQLSTATE, MySQL/SQLite/Mongo codes) first, then HTTP status, error class, message patterns.
 *
 * Strategies: those the operation can carry out that fit the fault, best first (see each
 * strategy's rank); a permanent error gets none, and reaches the caller as itself.
 *
 * Severity: authentication and database connection failures are critical; database / external
 * service / runtime high; network, timeout, rate limit, unknown medium; validation, not found low.
 * A critical operation is at least high, and critical when no strategy can heal it.
 */
export function diagnoseByRules(report: ErrorReport, ctx: RulesContext): Diagnosis {
  const found = classifyError(report, ctx.operation);
  const { category, transient } = found;
  const fault = toFault(found, found.kind, report);
  const selected = fittingStrategies(fault, ctx.policy);
  const healable = selected.length > 0;

  let severity = BASE_SEVERITY[category];
  if (ctx.policy.critical) severity = healable ? atLeast(severity, 'high') : 'critical';

  const rootCause =
    found.kind === 'transaction-conflict'
      ? 'A database transaction conflict (deadlock or serialization failure)'
      : found.kind === 'stale-cache'
        ? 'A cache served a stale or corrupt entry'
        : transient === TRANSIENT_BY_CATEGORY[category]
          ? ROOT_CAUSE[category]
          : `${ROOT_CAUSE[category]}, not expected to go away by itself`;

  const parts = [
    `Classified as ${category} from ${found.evidence}; ${transient ? 'transient' : 'permanent, so the operation is not re-run'}.`,
  ];
  if (report.retryAfterMs !== undefined)
    parts.push(`The server asked to wait ${seconds(report.retryAfterMs)} (Retry-After).`);
  parts.push(
    healable
      ? `Recommended ${selected[0]}${selected.length > 1 ? `, then ${selected.slice(1, 3).join(', ')}` : ''}.`
      : `No strategy of "${ctx.operation}" applies: the error reaches the caller as it is.`,
  );

  return {
    category,
    severity,
    transient,
    rootCause: `${rootCause} (${found.evidence}).`,
    // A Strategy is required here; with nothing applicable the planner runs nothing anyway.
    recommendedStrategy: selected[0] ?? 'SKIP_OPERATION',
    fallbackStrategies: selected.slice(1, 3),
    confidence: healable ? found.confidence : NOTHING_ALLOWED_CONFIDENCE,
    explanation: parts.join(' '),
    source: 'rules',
  };
}
