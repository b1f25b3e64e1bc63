// What every command gets: the global options and the connections they lead to, opened on
// demand (a file replay needs neither Temporal nor the database), and the way to print.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { DatabaseHandle } from '../db/connection.js';
import { readLocalDashboardToken } from '../dashboard/local-token.js';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { connectClient, temporalSettings } from '../lib/temporal-connection.js';
import { describeError, OperatorError, UsageError } from './operator/errors.js';
import { toJson } from './table-format.js';
import { databaseSource, workerApiSource, type AuditSource } from './operator/audit-source.js';

export interface GlobalOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  databaseUrl?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Runs a command's action with a session; the action's number is the exit code (default 0). */
export type RunAction = (action: (session: Session) => Promise<number | void>, command: Command) => Promise<void>;

/** Each file of cli/commands/ exports one: it adds its commands to the program. */
export type RegisterCommands = (program: Command, run: RunAction) => void;

export class Session {
  private config?: Config;
  private temporal?: Promise<Client>;
  private database?: Promise<DatabaseHandle>;

  constructor(readonly options: GlobalOptions) {}

  settings(): Config {
    try {
      this.config ??= loadConfig(process.env);
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
    return this.config;
  }

  get address(): string {
    return this.options.address ?? this.settings().TEMPORAL_ADDRESS;
  }

  get namespace(): string {
    return this.options.namespace ?? this.settings().TEMPORAL_NAMESPACE;
  }

  get taskQueue(): string {
    return this.options.taskQueue ?? this.settings().TEMPORAL_TASK_QUEUE;
  }

  client(): Promise<Client> {
    // Same connection settings as the worker: TLS, API key and payload encryption from the environment.
    this.temporal ??= (async () => {
      const settings = temporalSettings(process.env, { address: this.address, namespace: this.namespace });
      try {
        return await connectClient(settings, { connectTimeout: 5_000, dataConverter: dataConverterFromEnv() });
      } catch (error) {
        throw new OperatorError(`${describeError(error)} — check TEMPORAL_ADDRESS or --address`);
      }
    })();
    return this.temporal;
  }

  /** The database, when DATABASE_URL (or --database-url) is set: PostgreSQL, which any process may open. */
  async db(): Promise<DatabaseHandle | undefined> {
    const databaseUrl = this.options.databaseUrl ?? this.settings().DATABASE_URL;
    if (!databaseUrl) return undefined;
    // Loaded here: the drivers (PGlite's WASM among them) cost start-up time that most commands do not need.
    this.database ??= import('../db/connection.js').then(({ openDatabase }) =>
      openDatabase({ databaseUrl, poolMax: 2 }),
    );
    try {
      return await this.database;
    } catch (error) {
      throw new OperatorError(describeError(error));
    }
  }

  /**
   * The audit trail: the database when DATABASE_URL is set, else the running worker's dashboard
   * API (the embedded PGlite database under DATA_DIR belongs to the worker process), signed in with
   * DASHBOARD_TOKEN or the token the worker keeps in DATA_DIR.
   */
  async audit(): Promise<AuditSource> {
    const database = await this.db();
    const config = this.settings();
    if (database) {
      return databaseSource(database, { temporalUiUrl: config.temporalUiUrl, temporalNamespace: this.namespace });
    }
    const token = config.DASHBOARD_TOKEN ?? readLocalDashboardToken(config.DATA_DIR);
    if (!token) {
      throw new OperatorError(
        `the worker has not run with DATA_DIR ${config.DATA_DIR} (no dashboard token there): start it with ` +
          'npm start, or set DATABASE_URL to the PostgreSQL the worker uses (DASHBOARD_TOKEN for a worker elsewhere)',
      );
    }
    return workerApiSource(dashboardUrl(config), token);
  }

  uiLink(workflowId: string): string {
    const base = this.settings().temporalUiUrl.replace(/\/$/, '');
    return `${base}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }

  /** Prints `data` as JSON with --json, else the text `text()` makes. */
  emit(data: unknown, text: () => string): void {
    print(this.options.json ? toJson(data) : text());
  }

  async close(): Promise<void> {
    const client = await this.temporal?.catch(() => undefined);
    await client?.connection.close().catch(() => undefined);
    const database = await this.database?.catch(() => undefined);
    await database?.close().catch(() => undefined);
  }
}

/** Where the worker's dashboard answers on this machine (a wildcard listen address is reached on loopback). */
function dashboardUrl(config: Config): string {
  const host = config.DASHBOARD_HOST;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${reachable}:${config.DASHBOARD_PORT}`;
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Commander parser of a `--limit`-style option. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`expected a positive whole number, got ${value}`);
  return number;
}
