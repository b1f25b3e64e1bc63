// `npm start`: the whole system on embedded defaults. Reuses a Temporal server reachable at
// TEMPORAL_ADDRESS or starts a local dev server (with its UI) that persists under DATA_DIR;
// migrates the database (PostgreSQL at DATABASE_URL, else embedded PGlite); runs the worker.
// Stop signals are handled first and settings checked next, before the heavy modules load:
// a refusal is one line and exit code 1, and a stop always stops everything that was started.
import { listenForStop, StopRequested } from './stop-signals.js';
import type { Started } from './foundation.js';

const stop = listenForStop();
const { logger } = await import('../lib/logger.js');
const { checkBeforeStart, StartupError } = await import('./startup-checks.js');

/** Stops what was started, last first; each item is taken once, even when two stops overlap. */
async function stopAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
    await cleanup().catch((error) => logger.warn({ err: error }, 'cleanup failed'));
  }
}

/** A stop during start-up waits this long for the current step (a first start bundles the workflows: a minute). */
const STARTUP_STOP_GRACE_MS = 10_000;

/** Runs until stopped; resolves with the exit code once everything started was stopped again. */
async function main(): Promise<number> {
  const cleanups: Array<() => Promise<void>> = [];
  let running = false;
  stop.onStop(() => {
    const abandonStartup = async () => {
      if (running) return;
      await stopAll(cleanups);
      console.log('Stopped cleanly.');
      process.exit(0);
    };
    setTimeout(() => void abandonStartup(), STARTUP_STOP_GRACE_MS).unref();
  });
  const started: Started = (thing) => {
    cleanups.push(() => ('close' in thing ? thing.close() : thing.stop()));
    stop.check();
    return thing;
  };
  try {
    const checked = await checkBeforeStart();
    stop.check();
    const { startFoundation } = await import('./foundation.js');
    const starting = startFoundation(checked, started);
    // The worker's modules load while the dev server boots and the database opens.
    const workerModule = import('@temporalio/worker');
    const systemModule = import('./system.js');
    workerModule.catch(() => undefined); // awaited below
    systemModule.catch(() => undefined);
    const foundation = await starting;
    const { DefaultLogger, Runtime } = await workerModule;
    const { runtimeMetricsOnLoopback } = await import('../lib/metrics-endpoint.js');
    const runtimeMetrics = checked.config.METRICS_PORT ? await runtimeMetricsOnLoopback() : undefined;
    // The SDK logs every bundling step at INFO: keep its warnings and errors only, unless debugging.
    // No shutdownSignals: ours (above) stop the worker once; the SDK's would do it a second time.
    Runtime.install({
      logger: new DefaultLogger(process.env.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
      shutdownSignals: [],
      ...(runtimeMetrics ? { telemetryOptions: runtimeMetrics.telemetryOptions } : {}),
    });
    const { startSystem } = await systemModule;
    const { worker, banner } = await startSystem(checked, started, foundation, runtimeMetrics);
    const run = worker.run();
    running = true;
    stop.onStop(() => worker.getState() === 'RUNNING' && worker.shutdown());
    for (const line of banner) console.log(line);
    await run;
    await stopAll(cleanups);
    console.log('Stopped cleanly.');
    return 0;
  } catch (error) {
    await stopAll(cleanups);
    if (error instanceof StopRequested) {
      console.log('Stopped cleanly.');
      return 0;
    }
    if (error instanceof StartupError || (error as Error).name === 'ConfigError') {
      console.error(`error: ${(error as Error).message}`);
    } else {
      logger.error({ err: error }, 'self-healing system failed');
    }
    return 1;
  }
}

process.exitCode = await main();
// Everything is stopped: a handle some library left open must not keep the process alive.
setTimeout(() => process.exit(), 3_000).unref();
