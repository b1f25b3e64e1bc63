// What `npm start` starts, in order, once its checks passed: the database (reached before
// anything else), a local Temporal dev server when needed, the connections, the codec endpoint,
// the health-check schedule, the dashboard and, last, the worker.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { healthOptionsFromConfig } from '../activities/health/options.js';
import { listBreakers } from '../cli/operator/breakers.js';
import { llmDiagnoserFromConfig } from '../activities/llm-diagnosis.js';
import { describeNotificationChannels, notificationSettingsFromConfig } from '../activities/notifications.js';
import { ensureHealthCheckSchedule } from './health-schedule.js';
import { ensureRetentionSchedule, retentionFromConfig } from './retention-schedule.js';
import { DashboardConfigError } from '../dashboard/auth.js';
import { dashboardOptionsFromConfig, startDashboard } from '../dashboard/server.js';
import { openDatabase, type Database, type DatabaseHandle } from '../db/index.js';
import type { Config } from '../lib/config.js';
import { startCodecServer, withLoopbackTwins } from '../lib/codec-server.js';
import { startDevServer } from '../lib/dev-server.js';
import { logger } from '../lib/logger.js';
import { registerSearchAttributes } from '../lib/register-search-attributes.js';
import { encryptingDataConverter, type AesGcmPayloadCodec } from '../lib/payload-codec.js';
import { connectClient, connectWorkerConnection, describeTemporal } from '../lib/temporal-connection.js';
import { devServerPidFile, StartupError, type CheckedStart, type TemporalPlan } from './startup-checks.js';
import { createCentralWorker } from './worker.js';
import { createSystemMetrics, type SystemMetrics } from '../lib/metrics.js';
import { startMetricsEndpoint, type RuntimeMetrics } from '../lib/metrics-endpoint.js';
import { tracingFromEnv } from '../lib/telemetry.js';

/** Registers what was started for the stop (in reverse order), then checks whether a stop was asked for. */
export type Started = <T extends { close(): Promise<void> } | { stop(): Promise<void> }>(thing: T) => T;

export interface RunningSystem {
  worker: Worker;
  /** What the operator reads once it runs. */
  banner: string[];
}

function asStartupError(error: Error): never {
  throw new StartupError(error.message);
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
function diagnosisAndNotifications(config: Config, db: Database, metrics?: SystemMetrics) {
  const llm = llmDiagnoserFromConfig(config, {
    db,
    onOutcome: metrics && ((outcome) => metrics.llmCalls.inc({ status: outcome.status })),
  });
  if (metrics && llm.handle?.budget) metrics.watchLlmBudget(llm.handle.budget);
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
  const recurrence = { windowMs: config.RECURRENCE_WINDOW_MS, escalateAfter: config.RECURRENCE_ESCALATE_AFTER };
  return { analysis: { llm: llm.handle?.diagnose, recurrence }, notifications };
}

/** Payload encryption on: the codec endpoint the Temporal UI and CLI use to show decoded payloads. */
async function startPayloadCodecEndpoint(
  config: Config,
  codec: AesGcmPayloadCodec,
): Promise<{ close(): Promise<void> }> {
  logger.info({ encryptionKeyId: codec.encryptionKeyId, keyIds: codec.keyIds }, 'payload encryption on (AES-256-GCM)');
  if (config.CODEC_SERVER_PORT === 0) return { close: async () => {} };
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
  logger.info(
    { url: server.url, auth: config.CODEC_SERVER_TOKEN ? 'token' : 'none' },
    'codec endpoint for the Temporal UI',
  );
  return server;
}

/** A server we did not start may lack our search attributes; without operator rights, say how to add them. */
async function registerSearchAttributesOrWarn(connection: Client['connection'], namespace: string): Promise<void> {
  try {
    await registerSearchAttributes(connection, namespace);
  } catch (error) {
    logger.warn({ err: error }, 'could not register the search attributes: create them as docs/deployment.md shows');
  }
}

async function startAdminDashboard(
  config: Config,
  database: DatabaseHandle,
  temporalUiUrl: string,
  { token, printed }: CheckedStart['dashboard'],
  client: Client,
) {
  try {
    const dashboard = await startDashboard({
      ...dashboardOptionsFromConfig(config),
      token,
      db: database.db,
      temporalUiUrl,
      breakers: () => listBreakers(client),
    });
    return { link: printed ? `${dashboard.url}/?token=${token}` : dashboard.url, close: () => dashboard.close() };
  } catch (error) {
    if (error instanceof DashboardConfigError) throw new StartupError(error.message);
    throw error;
  }
}

/** METRICS_PORT set: the system's metrics and the runtime's on one /metrics endpoint. */
async function startMetrics(config: Config, runtimeMetrics: RuntimeMetrics) {
  const metrics = createSystemMetrics();
  const endpoint = await startMetricsEndpoint({
    registry: metrics.registry,
    port: config.METRICS_PORT!,
    host: config.METRICS_HOST,
    runtimeMetricsUrl: runtimeMetrics.url,
  }).catch((error: Error) => {
    throw new StartupError(`metrics endpoint cannot listen on ${config.METRICS_HOST}:${config.METRICS_PORT} (${error.message}); set METRICS_PORT`);
  });
  logger.info({ url: endpoint.url }, 'Prometheus metrics');
  return { metrics, close: endpoint.close };
}

export async function startSystem(checked: CheckedStart, started: Started, runtimeMetrics?: RuntimeMetrics): Promise<RunningSystem> {
  const { config, temporal, codec, plan } = checked;
  const tracing = tracingFromEnv(process.env, 'self-healing-worker');
  if (tracing) started({ close: () => tracing.shutdown() });
  const observed = runtimeMetrics && started(await startMetrics(config, runtimeMetrics));
  const database = started(await openConfiguredDatabase(config));
  logger.info({ database: database.kind }, 'database migrated');
  const devServer = plan.kind === 'dev-server' ? started(await startLocalTemporal(config, plan)) : undefined;
  logger.info(describeTemporal(temporal), 'connecting to Temporal');
  const connection = started(await connectWorkerConnection(temporal).catch(asStartupError));
  const dataConverter = codec ? encryptingDataConverter(codec) : undefined;
  const client = await connectClient(temporal, { dataConverter }).catch(asStartupError);
  started(client.connection);
  if (!devServer) await registerSearchAttributesOrWarn(client.connection, config.TEMPORAL_NAMESPACE);
  if (codec) started(await startPayloadCodecEndpoint(config, codec));
  const schedule = await ensureHealthCheckSchedule(client, {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    interval: config.HEALTH_CHECK_INTERVAL,
  });
  logger.info({ ...schedule, interval: config.HEALTH_CHECK_INTERVAL }, 'health-check schedule ready');
  const retention = await ensureRetentionSchedule(client, { taskQueue: config.TEMPORAL_TASK_QUEUE, input: retentionFromConfig(config) });
  logger.info(retention, 'retention schedule ready');
  const temporalUiUrl = devServer?.uiUrl ?? config.temporalUiUrl;
  const dashboard = started(await startAdminDashboard(config, database, temporalUiUrl, checked.dashboard, client));
  // Last: a created worker holds the connection until it has run, so nothing may refuse after it.
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
  return {
    worker,
    banner: [
      `Self-healing worker running on task queue "${config.TEMPORAL_TASK_QUEUE}" (Ctrl-C to stop)`,
      `Temporal UI: ${temporalUiUrl}`,
      `Dashboard:   ${dashboard.link}`,
      `Health checks every ${config.HEALTH_CHECK_INTERVAL} (schedule "${schedule.scheduleId}")`,
    ],
  };
}
