// `npm start`: the whole system on embedded defaults. Reuses a Temporal server reachable at
// TEMPORAL_ADDRESS or starts a local dev server (with its UI) that persists under DATA_DIR;
// migrates the database (PostgreSQL at DATABASE_URL, else embedded PGlite); runs the worker.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { healthOptionsFromConfig } from '../activities/health/options.js';
import { llmDiagnoserFromConfig } from '../activities/llm-diagnosis.js';
import { describeNotificationChannels, notificationSettingsFromConfig } from '../activities/notifications.js';
import { ensureHealthCheckSchedule } from './health-schedule.js';
import { DashboardConfigError } from '../dashboard/auth.js';
import { localDashboardToken } from '../dashboard/local-token.js';
import { dashboardOptionsFromConfig, startDashboard } from '../dashboard/server.js';
import { openDatabase, type Database, type DatabaseHandle } from '../db/index.js';
import { loadConfig, type Config } from '../lib/config.js';
import { startCodecServer, withLoopbackTwins } from '../lib/codec-server.js';
import { startDevServer, waitForTemporal, type DevServer } from '../lib/dev-server.js';
import { isPortInUse } from '../lib/free-port.js';
import { logger } from '../lib/logger.js';
import { createSystemMetrics, type SystemMetrics } from '../lib/metrics.js';
import { runtimeMetricsOnLoopback, startMetricsEndpoint, type RuntimeMetrics } from '../lib/metrics-endpoint.js';
import { tracingFromEnv } from '../lib/telemetry.js';
import { registerSearchAttributes } from '../lib/register-search-attributes.js';
import { encryptingDataConverter, payloadCodecFromEnv, type AesGcmPayloadCodec } from '../lib/payload-codec.js';
import { connectClient, connectWorkerConnection, describeTemporal, temporalSettings } from '../lib/temporal-connection.js';
import { ensureRetentionSchedule, retentionFromConfig } from './retention-schedule.js';
import { createCentralWorker } from './worker.js';

/** A start-up problem the user can fix: printed as one line, no stack trace. */
class StartupError extends Error {}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '0.0.0.0', '[::1]']);

async function ensureTemporal(config: Config): Promise<DevServer | undefined> {
  const [host, portText] = splitAddress(config.TEMPORAL_ADDRESS);
  try {
    await waitForTemporal(config.TEMPORAL_ADDRESS, 1_500);
    logger.info({ address: config.TEMPORAL_ADDRESS }, 'using the Temporal server already running');
    return undefined;
  } catch {
    if (!LOCAL_HOSTS.has(host)) {
      throw new StartupError(`Temporal server at ${config.TEMPORAL_ADDRESS} is unreachable; check TEMPORAL_ADDRESS`);
    }
  }
  const port = Number(portText);
  for (const [name, candidate] of [['TEMPORAL_ADDRESS', port], ['TEMPORAL_UI_PORT', config.TEMPORAL_UI_PORT]] as const) {
    if (await isPortInUse(candidate)) {
      throw new StartupError(`Port ${candidate} is in use by something that is not a Temporal server; free it or set ${name}`);
    }
  }
  mkdirSync(config.DATA_DIR, { recursive: true });
  logger.info({ port, uiPort: config.TEMPORAL_UI_PORT }, 'starting a local Temporal dev server');
  return startDevServer({
    host: host === 'localhost' ? '127.0.0.1' : host,
    port,
    uiPort: config.TEMPORAL_UI_PORT,
    dbFilename: path.join(config.DATA_DIR, 'temporal.sqlite'),
    namespace: config.TEMPORAL_NAMESPACE,
  });
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
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

/** LLM analysis (when OPENAI_API_KEY is set) and admin notifications, each stated once at start-up. */
function diagnosisAndNotifications(config: Config, db: Database, metrics?: SystemMetrics) {
  const llm = llmDiagnoserFromConfig(config, { db, onOutcome: metrics && ((outcome) => metrics.llmCalls.inc({ status: outcome.status })) });
  if (metrics && llm.handle?.budget) metrics.watchLlmBudget(llm.handle.budget);
  if (llm.handle) {
    logger.info({ model: config.OPENAI_MODEL, callsPerHour: config.LLM_CALLS_PER_HOUR }, 'LLM analysis on (learned pattern → LLM → rules)');
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
  const server = await startCodecServer({
    codec,
    port: config.CODEC_SERVER_PORT,
    host: config.CODEC_SERVER_HOST,
    token: config.CODEC_SERVER_TOKEN,
    corsOrigins: withLoopbackTwins(config.CODEC_SERVER_CORS_ORIGINS.length ? config.CODEC_SERVER_CORS_ORIGINS : [config.temporalUiUrl]),
    onError: (error, request) => logger.warn({ ...request, reason: error.message }, 'codec endpoint request refused'),
  }).catch((error: Error) => {
    throw new StartupError(`codec endpoint cannot listen on ${config.CODEC_SERVER_HOST}:${config.CODEC_SERVER_PORT} (${error.message}); set CODEC_SERVER_PORT`);
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

/**
 * The admin dashboard. Without DASHBOARD_TOKEN on a loopback address, a token kept under DATA_DIR
 * is printed with the link, so `npm start` works out of the box and stays admin-only.
 */
async function startAdminDashboard(config: Config, database: DatabaseHandle, temporalUiUrl: string) {
  const options = dashboardOptionsFromConfig(config);
  const loopbackOnly = ['127.0.0.1', 'localhost', '::1'].includes(options.host ?? '127.0.0.1');
  try {
    const token = options.token ?? (loopbackOnly ? localDashboardToken(config.DATA_DIR) : undefined);
    const dashboard = await startDashboard({ ...options, token: token!, db: database.db, temporalUiUrl });
    const link = options.token ? dashboard.url : `${dashboard.url}/?token=${token}`;
    return { link, close: () => dashboard.close() };
  } catch (error) {
    if (error instanceof DashboardConfigError) throw new StartupError(error.message);
    throw error;
  }
}

/** METRICS_PORT set: the system's metrics and the runtime's on one /metrics endpoint. */
async function startMetrics(config: Config, runtimeMetrics: RuntimeMetrics | undefined) {
  if (!config.METRICS_PORT || !runtimeMetrics) return undefined;
  const metrics = createSystemMetrics();
  const endpoint = await startMetricsEndpoint({
    registry: metrics.registry,
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    runtimeMetricsUrl: runtimeMetrics.url,
  }).catch((error: Error) => {
    throw new StartupError(`metrics endpoint cannot listen on ${config.METRICS_HOST}:${config.METRICS_PORT} (${error.message}); set METRICS_PORT`);
  });
  logger.info({ url: endpoint.url }, 'Prometheus metrics');
  return { metrics, close: endpoint.close };
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => logger.warn({ err: error }, 'cleanup failed'));
  };
  try {
    const config = loadConfig();
    const runtimeMetrics = config.METRICS_PORT ? await runtimeMetricsOnLoopback() : undefined;
    // The SDK logs every bundling step at INFO; keep its warnings and errors only, unless debugging.
    Runtime.install({
      logger: new DefaultLogger(process.env.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN'),
      ...(runtimeMetrics ? { telemetryOptions: runtimeMetrics.telemetryOptions } : {}),
    });
    const tracing = tracingFromEnv(process.env, 'self-healing-worker');
    if (tracing) cleanups.push(() => tracing.shutdown());
    const observed = await startMetrics(config, runtimeMetrics);
    if (observed) cleanups.push(observed.close);
    const temporal = temporalSettings(config);
    const codec = payloadCodecFromEnv(config);
    const dataConverter = codec ? encryptingDataConverter(codec) : undefined;
    // A secured cluster is never a local dev server: connect to it directly.
    const devServer = temporal.tls || temporal.apiKey ? undefined : await ensureTemporal(config);
    if (devServer) cleanups.push(() => devServer.stop());
    const database = await openConfiguredDatabase(config);
    cleanups.push(() => database.close());
    logger.info({ database: database.kind }, 'database migrated');

    logger.info(describeTemporal(temporal), 'connecting to Temporal');
    const connection = await connectWorkerConnection(temporal).catch(asStartupError);
    cleanups.push(() => connection.close());
    const worker = await createCentralWorker({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      db: database.db,
      database,
      health: healthOptionsFromConfig(config),
      ...diagnosisAndNotifications(config, database.db, observed?.metrics),
      dataConverter,
      metrics: observed?.metrics,
      tracing,
    });
    const client = await connectClient(temporal, { dataConverter }).catch(asStartupError);
    cleanups.push(() => client.connection.close());
    if (!devServer) await registerSearchAttributesOrWarn(client.connection, config.TEMPORAL_NAMESPACE);
    if (codec) cleanups.push(await startPayloadCodecEndpoint(config, codec));
    const schedule = await ensureHealthCheckSchedule(client, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      interval: config.HEALTH_CHECK_INTERVAL,
    });
    logger.info({ ...schedule, interval: config.HEALTH_CHECK_INTERVAL }, 'health-check schedule ready');
    logger.info(await ensureRetentionSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, input: retentionFromConfig(config) }), 'retention schedule ready');
    const temporalUiUrl = devServer?.uiUrl ?? config.temporalUiUrl;
    const dashboard = await startAdminDashboard(config, database, temporalUiUrl);
    cleanups.push(() => dashboard.close());
    const shutdown = () => worker.shutdown();
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    console.log(`Self-healing worker running on task queue "${config.TEMPORAL_TASK_QUEUE}" (Ctrl-C to stop)`);
    console.log(`Temporal UI: ${temporalUiUrl}`);
    console.log(`Dashboard:   ${dashboard.link}`);
    console.log(`Health checks every ${config.HEALTH_CHECK_INTERVAL} (schedule "${schedule.scheduleId}")`);
    await worker.run();
    await stopAll();
    console.log('Stopped cleanly.');
  } catch (error) {
    await stopAll();
    if (error instanceof StartupError || (error as Error).name === 'ConfigError') {
      console.error(`error: ${(error as Error).message}`);
    } else {
      logger.error({ err: error }, 'self-healing system failed');
    }
    process.exitCode = 1;
  }
}

await main();
