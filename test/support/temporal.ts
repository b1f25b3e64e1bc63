import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { registerSearchAttributes } from '../../lib/register-search-attributes.js';
import { ensureTemporalBinary } from '../../lib/temporal-binaries.js';

/** A client of the suite's shared dev server (started in test/global-setup.ts). */
export async function connectToDevServer(): Promise<{ client: Client; connection: Connection; address: string }> {
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  return { client: new Client({ connection }), connection, address };
}

/** A time-skipping test server from the installed binary (the SDK's download fails here). */
export async function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: ensureTemporalBinary('temporal-test-server') } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}
