// A self-healing system for the operator tests: like startTestSystem (central worker + the
// application's worker, real Temporal, fresh PostgreSQL), but it also hands out the database
// URL, which a spawned `heal` process needs as DATABASE_URL.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { SelfHealing } from '../../client/self-healing.js';
import type { DatabaseHandle } from '../../db/index.js';
import { createCentralWorker } from '../../workers/worker.js';
import { createTestDatabase } from './database.js';
import { workflowBundle } from './system.js';

export interface OperatorTestSystem {
  healer: SelfHealing;
  database: DatabaseHandle;
  databaseUrl: string;
  taskQueue: string;
  stop(): Promise<void>;
}

export async function startOperatorTestSystem(options: {
  client: Client;
  connection: NativeConnection;
}): Promise<OperatorTestSystem> {
  const testDatabase = await createTestDatabase('postgres');
  const taskQueue = `operator-${randomUUID().slice(0, 8)}`;
  const workers: Worker[] = [];
  try {
    workers.push(
      await createCentralWorker({
        connection: options.connection,
        namespace: options.client.options.namespace,
        taskQueue,
        workflowBundle: await workflowBundle(),
        db: testDatabase.handle.db,
      }),
    );
    const healer = new SelfHealing(options.client, {
      taskQueue,
      appTaskQueue: `${taskQueue}-app`,
      workerConnection: options.connection,
    });
    workers.push(await healer.createWorker());
    const running = workers.map((worker) =>
      worker.run().catch((error: unknown) => console.error('worker failed', error)),
    );
    return {
      healer,
      database: testDatabase.handle,
      databaseUrl: testDatabase.url!,
      taskQueue,
      async stop() {
        for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
        await Promise.all(running);
        await testDatabase.drop();
      },
    };
  } catch (error) {
    await testDatabase.drop();
    throw error;
  }
}
