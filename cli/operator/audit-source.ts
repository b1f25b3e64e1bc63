// Where `heal` reads the audit trail (events, statistics, health checks, learned patterns): the
// database itself when its URL is known, else the running worker's dashboard API, which is the only
// way into the embedded PGlite database (one process may open it). Both answer the dashboard's
// routes (dashboard/api.ts API_ROUTES) with the same query strings, so both give the same shapes.
import type { ApiResponse, ApiRoute, LinkOptions } from '../../dashboard/api.js';
import type { DatabaseHandle } from '../../db/connection.js';
import { describeError, OperatorError, UsageError } from './errors.js';

/** Query-string parameters; undefined ones are left out. */
export type ApiParams = Record<string, string | number | Date | undefined>;

export interface AuditSource {
  /** What is read, for messages: "the database" or "the worker's dashboard at …". */
  readonly description: string;
  get<R extends ApiRoute>(route: R, params?: ApiParams): Promise<ApiResponse<R>>;
}

/** One healing event (audit row) as the API shows it. */
export type AuditEvent = ApiResponse<'/api/events'>['rows'][number];

/** The audit row of one healing run, if recorded. */
export async function auditEventOf(source: AuditSource, workflowId: string): Promise<AuditEvent | undefined> {
  return (await source.get('/api/events', { workflowId, limit: 1 })).rows[0];
}

function queryOf(params: ApiParams = {}): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) query[name] = value instanceof Date ? value.toISOString() : String(value);
  }
  return query;
}

function refusedQuery(issues: { param: string; message: string }[]): UsageError {
  return new UsageError(issues.map(({ param, message }) => `${param}: ${message}`).join('; '));
}

/** The database (PostgreSQL at DATABASE_URL): the dashboard's routes run in this process. */
export async function databaseSource(database: DatabaseHandle, links: LinkOptions): Promise<AuditSource> {
  // Loaded here: the dashboard's module pulls in the query layer, which commands without the database do not need.
  const { API_ROUTES, QueryError } = await import('../../dashboard/api.js');
  return {
    description: 'the database',
    async get(route, params) {
      try {
        const answer = await API_ROUTES[route](database.db, queryOf(params), links);
        // Through JSON, as the API's answer would be: one shape whichever the source.
        return JSON.parse(JSON.stringify(answer)) as ApiResponse<typeof route>;
      } catch (error) {
        if (error instanceof QueryError) throw refusedQuery(error.issues);
        throw new OperatorError(describeError(error));
      }
    },
  };
}

const REQUEST_TIMEOUT_MS = 15_000;

/** The running worker's dashboard API at `baseUrl`, signed in with its token. */
export function workerApiSource(baseUrl: string, token: string): AuditSource {
  const description = `the worker's dashboard at ${baseUrl}`;
  const notRunning = () =>
    new OperatorError(
      `the worker is not running (nothing answers at ${baseUrl}): this command reads the embedded database ` +
        'through it — start it with npm start, or set DATABASE_URL to the PostgreSQL the worker uses',
    );
  return {
    description,
    async get(route, params) {
      const url = `${baseUrl}${route}?${new URLSearchParams(queryOf(params))}`;
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (code === 'ECONNREFUSED' || code === 'ECONNRESET') throw notRunning();
        throw new OperatorError(`${description} did not answer: ${describeError(error)}`);
      }
      if (response.ok) return (await response.json()) as ApiResponse<typeof route>;
      if (response.status === 400) {
        const body = (await response.json().catch(() => ({}))) as { issues?: { param: string; message: string }[] };
        throw refusedQuery(body.issues ?? []);
      }
      if (response.status === 401) {
        throw new OperatorError(
          `${description} refused the token: set DASHBOARD_TOKEN to the one the worker uses, or DATA_DIR to its data directory`,
        );
      }
      if (response.status === 429) {
        throw new OperatorError(`${description} refuses for now after failed sign-ins; try again in a minute`);
      }
      throw new OperatorError(`${description} answered ${response.status} ${response.statusText} to ${route}`);
    },
  };
}
