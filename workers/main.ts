// `npm start`: the whole system on embedded defaults. Reuses a Temporal server reachable at
// TEMPORAL_ADDRESS or starts a local dev server (with its UI) that persists under DATA_DIR;
// migrates the database (PostgreSQL at DATABASE_URL, else embedded PGlite); runs the worker.
// Every setting, the database and every port are checked before anything starts; SIGINT and
// SIGTERM (to the process or its group, once or repeatedly) drain the worker and stop all it started.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { healthOptionsFromConfig } from '../activities/health/options.js';
import { llmDiagnoserFromConfig } from '../activities/llm-diagnosis.js';
import { describeNotificationChannels, notificationSettingsFromConfig } from '../activities/notifications.js';
import { ensureHealthCheckSchedule } from './health-schedule.js';
import { DashboardConfigError } from '../dashboard/auth.js';
import { dashboardOptionsFromConfig, startDashboard } from '../dashboard/server.js';
import { openDatabase, type Database, type DatabaseHandle } from '../db/index.js';
import { loadConfig, type Config } from '../lib/config.js';
import { startCodecServer, withLoopbackTwins } from '../lib/codec-server.js';
import { startDevServer } from '../lib/dev-server.js';
import { logger } from '../lib/logger.js';
import { registerSearchAttributes } from '../lib/register-search-attributes.js';
import { encryptingDataConverter, payloadCodecFromEnv, type AesGcmPayloadCodec } from '../lib/payload-codec.js';
import { connectClient, connectWorkerConnection, describeTemporal, temporalSettings } from '../lib/temporal-connection.js';
import { createCentralWorker } from './worker.js';
import {
  checkPortsFree,
  dashboardToken,
  devServerPidFile,
  ensureDataDir,
  planTemporal,
  portsToCheck,
  StartupError,
  type TemporalPlan,
} from './startup-checks.js';

/** Thrown between start-up steps when a stop signal arrived meanwhile. */
class StopRequested extends Error {}

/** SIGINT and SIGTERM, any number of times: the first starts a clean stop, later ones say it is under way. */
function listenForStop() {
  let requested = false;
  let onStop = () => {};
  const handle = (signal: NodeJS.Signals) => {
    if (requested) return console.log(`${signal} again: still stopping (waiting for running tasks)`);
    requested = true;
    console.log(`${signal}: stopping…`);
    onStop();
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return {
    /** Between start-up steps: stop starting things once a stop was asked for. */
    check(): void {
      if (requested) throw new StopRequested();
    },
    onStop(callback: () => void): void {
      onStop = callback;
      if (requested) callback();
    },
  };
}

async function openConfiguredDatabase(config: Config): Promise<DatabaseHandle> {
  try {
    return await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATABASE_URL ? undefined : path.join(config.DATA_DIR, 'pglite'),
      poolMax: config.DATABASE_POOL_MAX,
    });
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

async function startLocalTemporal(config: Config, plan: Extract<TemporalPlan, { kind: 'dev-server' }>) {
  logger.info({ port: plan.port, uiPort: config.TEMPORAL_UI_PORT }, 'starting a local Temporal dev server');
  return startDevServer({
    host: plan.host,
    port: plan.port,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFilename: path.join(config.DATA_DIR, 'temporal.sqlite'),
    namespace: config.TEMPORAL_NAMESPACE,
    pidFile: devServerPidFile(config),
  }).catch(asStartupError);
}

/** LLM analysis (when OPENAI_API_KEY is set) and admin notifications, each stated once at start-up. */
function diagnosisAndNotifications(config: Config, db: Database) {
  const llm = llmDiagnoserFromConfig(config, { db });
  if (llm.handle) {
    logger.info(
      { model: config.OPENAI_MODEL, callsPerHour: config.LLM_CALLS_PER_HOUR },
      'LLM analysis on (learned pattern → LLM → rules)',
    );
  } else {
    logger.info(llm.reason);
  }
  const notifications = notificationSettingsFromConfig(config);
  logger.info({ channels: describeNotificationChannels(notifications) }, 'admin notifications');
  return { analysis: { llm: llm.handle?.diagnose }, notifications };
}

function asStartupError(error: Error): never {
  throw new StartupError(error.message);
}

/** Payload encryption on: the codec endpoint the Temporal UI and CLI use to show decoded payloads. */
async function startPayloadCodecEndpoint(config: Config, codec: AesGcmPayloadCodec): Promise<() => Promise<void>> {
  logger.info({ encryptionKeyId: codec.encryptionKeyId, keyIds: codec.keyIds }, 'payload encryption on (AES-256-GCM)');
  if (config.CODEC_SERVER_PORT === 0) return async () => {};
  const origins = config.CODEC_SERVER_CORS_ORIGINS.length ? config.CODEC_SERVER_CORS_ORIGINS : [config.temporalUiUrl];
  const server = await startCodecServer({
    codec,
    port: config.CODEC_SERVER_PORT,
    host: config.CODEC_SERVER_HOST,
    token: config.CODEC_SERVER_TOKEN,
    corsOrigins: withLoopbackTwins(origins),
    onError: (error, request) => logger.warn({ ...request, reason: error.message }, 'codec endpoint request refused'),
  }).catch((error: Error) => {
    const where = `${config.CODEC_SERVER_HOST}:${config.CODEC_SERVER_PORT}`;
    throw new StartupError(`codec endpoint cannot listen on ${where} (${error.message}); set CODEC_SERVER_PORT`);
  });
  logger.info({ url: server.url, auth: config.CODEC_SERVER_TOKEN ? 'token' : 'none' }, 'codec endpoint for the Temporal UI');
  return () => server.close();
}

/** A server we did not start may lack our search attributes; without operator rights, say how to add them. */
async function registerSearchAttributesOrWarn(connection: Client['connection'], namespace: string): Promise<void> {
  try {
    await registerSearchAttributes(connection, namespace);
  } catch (error) {
    logger.warn({ err: error }, 'could not register the search attributes: create them as the README shows');
  }
}

async function startAdminDashboard(config: Config, database: DatabaseHandle, temporalUiUrl: string) {
  const { token, generated } = dashboardToken(config);
  try {
    const dashboard = await startDashboard({ ...dashboardOptionsFromConfig(config), token, db: database.db, temporalUiUrl });
    return { link: generated ? `${dashboard.url}/?token=${token}` : dashboard.url, close: () => dashboard.close() };
  } catch (error) {
    if (error instanceof DashboardConfigError) throw new StartupError(error.message);
    throw error;
  }
}

/** Runs until stopped; resolves with the exit code. Everything started is stopped, in reverse order, before it returns. */
async function main(): Promise<number> {
  const stop = listenForStop();
  // The SDK logs every bundling step at INFO: keep its warnings and errors only, unless debugging.
  // Signals are ours (listenForStop): the SDK's own handlers would shut the worker down a second time.
  Runtime.install({
    logger: new DefaultLogger(process.env.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
    shutdownSignals: [],
  });
  const cleanups: Array<() => Promise<void>> = [];
  const started = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(thing: T): T => {
    cleanups.push(() => ('close' in thing ? thing.close() : thing.stop()));
    stop.check();
    return thing;
  };
  try {
    // 1. Everything checked before anything starts.
    const config = loadConfig();
    const temporal = temporalSettings(config);
    const codec = payloadCodecFromEnv(config);
    dashboardToken(config);
    ensureDataDir(config.DATA_DIR);
    // A secured cluster is never a local dev server: connect to it directly.
    const plan: TemporalPlan = temporal.tls || temporal.apiKey ? { kind: 'existing' } : await planTemporal(config);
    await checkPortsFree(portsToCheck(config, plan, Boolean(codec)));
    const database = started(await openConfiguredDatabase(config));
    logger.info({ database: database.kind }, 'database migrated');

    // 2. Then started, each stopped again on the way out.
    const devServer = plan.kind === 'dev-server' ? started(await startLocalTemporal(config, plan)) : undefined;
    logger.info(describeTemporal(temporal), 'connecting to Temporal');
    const connection = started(await connectWorkerConnection(temporal).catch(asStartupError));
    const dataConverter = codec ? encryptingDataConverter(codec) : undefined;
    const client = await connectClient(temporal, { dataConverter }).catch(asStartupError);
    started(client.connection);
    if (!devServer) await registerSearchAttributesOrWarn(client.connection, config.TEMPORAL_NAMESPACE);
    if (codec) cleanups.push(await startPayloadCodecEndpoint(config, codec));
    const schedule = await ensureHealthCheckSchedule(client, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      interval: config.HEALTH_CHECK_INTERVAL,
    });
    logger.info({ ...schedule, interval: config.HEALTH_CHECK_INTERVAL }, 'health-check schedule ready');
    const temporalUiUrl = devServer?.uiUrl ?? config.temporalUiUrl;
    const dashboard = started(await startAdminDashboard(config, database, temporalUiUrl));
    // Last: a created worker holds the connection until it has run, so nothing may refuse after it.
    const worker = await createCentralWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      db: database.db,
      database,
      health: healthOptionsFromConfig(config),
      ...diagnosisAndNotifications(config, database.db),
      dataConverter,
    });
    const running = worker.run();
    stop.onStop(() => worker.getState() === 'RUNNING' && worker.shutdown());
    console.log(`Self-healing worker running on task queue "${config.TEMPORAL_TASK_QUEUE}" (Ctrl-C to stop)`);
    console.log(`Temporal UI: ${temporalUiUrl}`);
    console.log(`Dashboard:   ${dashboard.link}`);
    console.log(`Health checks every ${config.HEALTH_CHECK_INTERVAL} (schedule "${schedule.scheduleId}")`);
    await running;
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

async function stopAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error) => logger.warn({ err: error }, 'cleanup failed'));
  }
  cleanups.length = 0;
}

process.exitCode = await main();
// Everything is stopped: a handle some library left open must not keep the process alive.
setTimeout(() => process.exit(), 3_000).unref();
