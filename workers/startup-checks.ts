// What `npm start` checks before it starts anything: every setting, the data directory, the
// dashboard's token, the Temporal server to use (or a dev server left behind by an earlier start),
// and every port it will listen on. Each problem is one line naming the setting to change.
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DashboardConfigError, requireToken } from '../dashboard/auth.js';
import { localDashboardToken } from '../dashboard/local-token.js';
import { loadConfig, type Config } from '../lib/config.js';
import { findLeftoverDevServer, stopLeftoverDevServer, waitForTemporal } from '../lib/dev-server.js';
import { listenProblem } from '../lib/free-port.js';
import { logger } from '../lib/logger.js';
import { isLoopbackHost } from '../lib/loopback.js';
import { payloadCodecFromEnv, type AesGcmPayloadCodec } from '../lib/payload-codec.js';
import { temporalSettings, type TemporalSettings } from '../lib/temporal-connection.js';

/** A start-up problem the user can fix: printed as one line, no stack trace. */
export class StartupError extends Error {}

export function devServerPidFile(config: Config): string {
  return path.join(config.DATA_DIR, 'temporal-dev-server.pid');
}

export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupError(
      `DATA_DIR ${dir} cannot be created or written (${code}); set DATA_DIR to a writable directory`,
    );
  }
}

/**
 * DASHBOARD_TOKEN, checked now rather than when the dashboard starts. Without one on a loopback
 * address, the token kept under DATA_DIR is used and printed with the link, so `npm start` works
 * out of the box (needs DATA_DIR, so check that first).
 */
export function dashboardToken(config: Config): { token: string; printed: boolean } {
  const local = !config.DASHBOARD_TOKEN && isLoopbackHost(config.DASHBOARD_HOST);
  try {
    const token = local ? localDashboardToken(config.DATA_DIR) : requireToken(config.DASHBOARD_TOKEN);
    return { token, printed: local };
  } catch (error) {
    if (error instanceof DashboardConfigError) throw new StartupError(error.message);
    throw error;
  }
}

export type TemporalPlan = { kind: 'existing' } | { kind: 'dev-server'; host: string; port: number };

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** A dev server an earlier start left behind is stopped (and said so); one another start still uses is a refusal. */
async function dealWithLeftover(config: Config): Promise<void> {
  const leftover = findLeftoverDevServer(devServerPidFile(config));
  if (!leftover) return;
  if (leftover.ownerAlive) {
    throw new StartupError(
      `another npm start (pid ${leftover.ownerPid}) runs with DATA_DIR ${config.DATA_DIR} ` +
        `and its Temporal dev server (pid ${leftover.pid}); stop it first, or give this one its own DATA_DIR and ports`,
    );
  }
  logger.warn({ pid: leftover.pid }, 'stopping the Temporal dev server an earlier start left running');
  await stopLeftoverDevServer(leftover.pid);
}

/** Use the Temporal server at TEMPORAL_ADDRESS, or start a local dev server (on ports free now). */
export async function planTemporal(config: Config): Promise<TemporalPlan> {
  const { host, port } = splitAddress(config.TEMPORAL_ADDRESS);
  const local = isLoopbackHost(host) || host === '0.0.0.0';
  if (local) await dealWithLeftover(config);
  if (local && !(await listenProblem(port, host === 'localhost' ? '127.0.0.1' : host))) {
    return { kind: 'dev-server', host: host === 'localhost' ? '127.0.0.1' : host, port };
  }
  try {
    await waitForTemporal(config.TEMPORAL_ADDRESS, 1_500);
  } catch {
    throw new StartupError(
      local
        ? `Port ${port} is in use by something that is not a Temporal server; free it or set TEMPORAL_ADDRESS`
        : `Temporal server at ${config.TEMPORAL_ADDRESS} is unreachable; check TEMPORAL_ADDRESS`,
    );
  }
  logger.info(
    { address: config.TEMPORAL_ADDRESS },
    'using the Temporal server already running there (not started by this command: it keeps running after a stop)',
  );
  return { kind: 'existing' };
}

interface PortUse {
  setting: string;
  host: string;
  port: number;
}

/** Every port this start will listen on, free now: otherwise one line naming the first one taken. */
export async function checkPortsFree(uses: PortUse[]): Promise<void> {
  for (const { setting, host, port } of uses) {
    if (port === 0) continue;
    const problem = await listenProblem(port, host);
    if (problem === 'EADDRINUSE') {
      throw new StartupError(`Port ${port} on ${host} (${setting}) is already in use; free it or set ${setting}`);
    }
    if (problem) throw new StartupError(`Cannot listen on ${host}:${port} (${setting}): ${problem}; check ${setting}`);
  }
}

/** The ports of what this start runs: dev server and UI when it starts one, dashboard, codec endpoint. */
export function portsToCheck(config: Config, plan: TemporalPlan, codecOn: boolean): PortUse[] {
  const uses: PortUse[] = [];
  if (plan.kind === 'dev-server') {
    uses.push({ setting: 'TEMPORAL_UI_PORT', host: plan.host, port: config.TEMPORAL_UI_PORT });
  }
  uses.push({ setting: 'DASHBOARD_PORT', host: config.DASHBOARD_HOST, port: config.DASHBOARD_PORT });
  if (codecOn)
    uses.push({ setting: 'CODEC_SERVER_PORT', host: config.CODEC_SERVER_HOST, port: config.CODEC_SERVER_PORT });
  if (config.METRICS_PORT) uses.push({ setting: 'METRICS_PORT', host: config.METRICS_HOST, port: config.METRICS_PORT });
  return uses;
}

export interface CheckedStart {
  config: Config;
  temporal: TemporalSettings;
  codec: AesGcmPayloadCodec | undefined;
  plan: TemporalPlan;
  dashboard: ReturnType<typeof dashboardToken>;
}

/** Everything that can be checked before anything starts (the database is reached next, before Temporal). */
export async function checkBeforeStart(): Promise<CheckedStart> {
  const config = loadConfig();
  const temporal = temporalSettings(config);
  const codec = payloadCodecFromEnv(config);
  ensureDataDir(config.DATA_DIR);
  const dashboard = dashboardToken(config);
  // A secured cluster is never a local dev server: connect to it directly.
  const plan: TemporalPlan = temporal.tls || temporal.apiKey ? { kind: 'existing' } : await planTemporal(config);
  await checkPortsFree(portsToCheck(config, plan, Boolean(codec)));
  return { config, temporal, codec, plan, dashboard };
}
