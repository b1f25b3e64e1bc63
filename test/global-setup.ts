// One real Temporal dev server for the whole suite (tests that need timers to skip start
// their own time-skipping server). A missing binary or a server that does not come up
// fails the run: nothing is skipped.
import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../lib/dev-server.js';
import { freePort } from '../lib/free-port.js';
import { ensureTemporalBinary } from '../lib/temporal-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalUiUrl: string;
  }
}

let server: DevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  ensureTemporalBinary('temporal-test-server');
  server = await startDevServer({ port: await freePort(), uiPort: await freePort() });
  project.provide('temporalAddress', server.address);
  project.provide('temporalUiUrl', server.uiUrl!);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
