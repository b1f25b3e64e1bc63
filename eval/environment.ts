// What `npm run eval` runs on: its own Temporal dev server (lib/dev-server.ts) and the
// connections the eval systems share; each part starts its own system (fresh database).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../lib/dev-server.js';
import { freePort } from '../lib/free-port.js';

export interface EvalEnvironment {
  client: Client;
  connection: NativeConnection;
  close(): Promise<void>;
}

export async function startEvalEnvironment(): Promise<EvalEnvironment> {
  const server: DevServer = await startDevServer({ port: await freePort() });
  const clientConnection = await Connection.connect({ address: server.address });
  const connection = await NativeConnection.connect({ address: server.address });
  return {
    client: new Client({ connection: clientConnection }),
    connection,
    // The client's connection is left to the process's exit: a caller's RPC still retrying when it
    // closed would throw 'Channel has been shut down' from a timer, out of anyone's reach.
    async close() {
      await connection.close().catch(() => undefined);
      await server.stop();
    },
  };
}
