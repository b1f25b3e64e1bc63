// The set-up most integration tests share: a whole self-healing system (startTestSystem) on the
// suite's dev server and a fresh database, started in beforeAll and stopped in afterAll.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { getHealingEvents, type HealingEventRow } from '../../db/index.js';
import { connectNative, startTestSystem, type TestSystem, type TestSystemOptions } from './system.js';
import { connectToDevServer } from './temporal.js';

export type UseTestSystemOptions = Omit<TestSystemOptions, 'client' | 'connection'>;

/** The running system; read it in hooks and tests (it starts in beforeAll). */
export interface UsedTestSystem extends Omit<TestSystem, 'stop'> {
  /** The workers' native connection to the dev server. */
  connection: NativeConnection;
  /** The dev server's address. */
  address: string;
  /** The healing events of `operation` once every run recorded so far has closed, however it ended. */
  settledEvents(operation: string, options?: { limit?: number }): Promise<HealingEventRow[]>;
}

/**
 * Registers a beforeAll that connects to the suite's dev server and starts the system, and an
 * afterAll that stops its workers, drops its database and closes the connection. `options` may be
 * a function, called in that beforeAll: start what it needs (fake providers) in a beforeAll
 * registered before this call; Vitest runs the afterAll hooks in reverse, so the system stops
 * before those close.
 */
export function useTestSystem(
  options: UseTestSystemOptions | (() => UseTestSystemOptions | Promise<UseTestSystemOptions>) = {},
): UsedTestSystem {
  let client: Client | undefined;
  let connection: NativeConnection | undefined;
  let address: string | undefined;
  let system: TestSystem | undefined;

  beforeAll(async () => {
    const dev = await connectToDevServer();
    client = dev.client;
    address = dev.address;
    connection = await connectNative(dev.address);
    const resolved = typeof options === 'function' ? await options() : options;
    system = await startTestSystem({ client, connection, ...resolved });
  });

  afterAll(async () => {
    await system?.stop();
    await connection?.close();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useTestSystem: the system starts in beforeAll; read it in hooks or tests');
    return value;
  };
  return {
    get healer() {
      return started(system).healer;
    },
    get client() {
      return started(client);
    },
    get database() {
      return started(system).database;
    },
    get taskQueue() {
      return started(system).taskQueue;
    },
    get connection() {
      return started(connection);
    },
    get address() {
      return started(address);
    },
    async settledEvents(operation, { limit } = {}) {
      const db = started(system).database.db;
      const { rows } = await getHealingEvents(db, { operation, limit });
      const runs = rows.map((row) => started(client).workflow.getHandle(row.workflowId!).result());
      await Promise.all(runs.map((run) => run.catch(() => undefined)));
      return (await getHealingEvents(db, { operation, limit })).rows;
    },
  };
}
