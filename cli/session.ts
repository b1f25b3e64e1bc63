// What every command gets: the global options and the connections they lead to, opened on
// demand (a file replay needs neither Temporal nor the database), and the way to print.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import type { DatabaseHandle } from '../db/connection.js';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { dataConverterFromEnv } from '../lib/payload-codec.js';
import { connectClient, temporalSettings } from '../lib/temporal-connection.js';
import { describeError, OperatorError, UsageError } from './operator/errors.js';
import { toJson } from './table-format.js';

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

  /** The database, when DATABASE_URL (or --database-url) is set; `required` makes its absence an error. */
  async db(required: true): Promise<DatabaseHandle>;
  async db(required: false): Promise<DatabaseHandle | undefined>;
  async db(required: boolean): Promise<DatabaseHandle | undefined> {
    const databaseUrl = this.options.databaseUrl ?? this.settings().DATABASE_URL;
    if (!databaseUrl) {
      if (!required) return undefined;
      throw new OperatorError(
        'this command reads the database: set DATABASE_URL (or --database-url) to the PostgreSQL the worker uses. ' +
          'The embedded PGlite database under DATA_DIR belongs to the worker process ' +
          'and cannot be opened by a second one.',
      );
    }
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

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Commander parser of a `--limit`-style option. */
export function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new UsageError(`expected a positive whole number, got ${value}`);
  return number;
}
