// What `npm start` starts once its checks passed and the database and a local Temporal dev server
// are under way (foundation.ts): the connections, the codec endpoint, the schedules, the dashboard
// and, last, the worker, from the workflow bundle kept under DATA_DIR. Independent steps run side by side.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { healthOptionsFromConfig } from '../activities/health/options.js';
import { listBreakers } from '../cli/operator/breakers.js';
import { llmDiagnoserFromConfig } from '../activities/llm-diagnosis.js';
import { describeNotificationChannels, notificationSettingsFromConfig } from '../activities/notifications/index.js';
import { ensureHealthCheckSchedule } from './health-schedule.js';
import { ensureRetentionSchedule, retentionFromConfig } from './retention-schedule.js';
import { DashboardConfigError } from '../dashboard/auth.js';
import { dashboardOptionsFromConfig, startDashboard } from '../dashboard/server.js';
import type { Database, DatabaseHandle } from '../db/index.js';
import type { Config } from '../lib/config.js';
import { startCodecServer, withLoopbackTwins } from '../lib/codec-server.js';
import { logger } from '../lib/logger.js';
import { registerSearchAttributes } from '../lib/register-search-attributes.js';
import { encryptingDataConverter, type AesGcmPayloadCodec } from '../lib/payload-codec.js';
import { connectClient, connectWorkerConnection, describeTemporal } from '../lib/temporal-connection.js';
import type { Foundation, Started } from './foundation.js';
import { StartupError, type CheckedStart } from './startup-checks.js';
import { createCentralWorker } from './worker.js';
import { cachedWorkflowBundle } from './workflow-bundle.js';
import { createSystemMetrics, type SystemMetrics } from '../lib/metrics.js';
import { startMetricsEndpoint, type RuntimeMetrics } from '../lib/metrics-endpoint.js';
import { tracingFromEnv } from '../lib/telemetry.js';

export interface RunningSystem {
  worker: Worker;
  /** What the operator reads once it runs. */
  banner: string[];
}

function asStartupError(error: Error): never {
  throw new StartupError(error.message);
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
    throw new StartupError(
      `metrics endpoint cannot listen on ${config.METRICS_HOST}:${config.METRICS_PORT} (${error.message}); set METRICS_PORT`,
    );
  });
  logger.info({ url: endpoint.url }, 'Prometheus metrics');
  return { metrics, close: endpoint.close };
}

export async function startSystem(
  checked: CheckedStart,
  started: Started,
  foundation: Foundation,
  runtimeMetrics?: RuntimeMetrics,
): Promise<RunningSystem> {
  const { config, temporal, codec } = checked;
  const { database } = foundation;
  const tracing = tracingFromEnv(process.env, 'self-healing-worker');
  if (tracing) started({ close: () => tracing.shutdown() });
  const observed = runtimeMetrics && started(await startMetrics(config, runtimeMetrics));
  const dataConverter = codec ? encryptingDataConverter(codec) : undefined;
  // Read (or built, on a first start or after a change) while Temporal boots and the steps below run.
  const bundleDir = path.join(config.DATA_DIR, 'workflow-bundle');
  const bundle = cachedWorkflowBundle(bundleDir, {
    failureConverterPath: dataConverter?.failureConverterPath,
    plugins: tracing ? [tracing.plugin] : [],
  });
  bundle.catch(() => undefined); // awaited below
  const devServer = await foundation.devServer?.catch(asStartupError);
  logger.info(describeTemporal(temporal), 'connecting to Temporal');
  const [connection, client] = await Promise.all([
    connectWorkerConnection(temporal).then(started, asStartupError),
    connectClient(temporal, { dataConverter }).then((connected) => {
      started(connected.connection);
      return connected;
    }, asStartupError),
  ]);
  if (!devServer) await registerSearchAttributesOrWarn(client.connection, config.TEMPORAL_NAMESPACE);
  if (codec) started(await startPayloadCodecEndpoint(config, codec));
  const temporalUiUrl = devServer?.uiUrl ?? config.temporalUiUrl;
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const [schedule, retention, dashboard] = await Promise.all([
    ensureHealthCheckSchedule(client, { taskQueue, interval: config.HEALTH_CHECK_INTERVAL }),
    ensureRetentionSchedule(client, { taskQueue, input: retentionFromConfig(config) }),
    startAdminDashboard(config, database, temporalUiUrl, checked.dashboard, client).then(started),
  ]);
  logger.info({ ...schedule, interval: config.HEALTH_CHECK_INTERVAL }, 'health-check schedule ready');
  logger.info(retention, 'retention schedule ready');
  const { bundle: workflowBundle, cached } = await bundle;
  if (!cached) logger.info({ dir: bundleDir }, 'workflows bundled (kept there for the next start)');
  // Last: a created worker holds the connection until it has run, so nothing may refuse after it.
  const worker = await createCentralWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle,
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
