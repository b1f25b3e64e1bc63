// One Prometheus endpoint for the central worker: the system's own metrics (lib/metrics.ts) and the
// Temporal worker runtime's. The runtime serves its metrics on an address of its own (Rust core,
// fixed at Runtime.install); it listens on loopback only and each scrape of /metrics appends it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { TelemetryOptions } from '@temporalio/worker';
import { freePort } from './free-port.js';

const RUNTIME_SCRAPE_TIMEOUT_MS = 2_000;

export interface RuntimeMetrics {
  /** For `Runtime.install({ telemetryOptions })`. */
  telemetryOptions: TelemetryOptions;
  /** Where the runtime serves its metrics (loopback). */
  url: string;
}

/** The runtime's Prometheus exporter on a free loopback port, for startMetricsEndpoint to include. */
export async function runtimeMetricsOnLoopback(): Promise<RuntimeMetrics> {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  return {
    telemetryOptions: {
      metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } },
    },
    url: `http://${bindAddress}/metrics`,
  };
}

export interface MetricsEndpointOptions {
  registry: Registry;
  port: number;
  host?: string;
  /** The runtime's metrics, appended to each scrape. */
  runtimeMetricsUrl?: string;
}

export interface MetricsEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsEndpoint(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end('not found: scrape /metrics\n');
      return;
    }
    scrape(options).then(
      (text) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (error: Error) => response.writeHead(500).end(`metrics unavailable: ${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function scrape(options: MetricsEndpointOptions): Promise<string> {
  const own = await options.registry.metrics();
  if (!options.runtimeMetricsUrl) return own;
  return `${own}\n${await runtimeMetricsText(options.runtimeMetricsUrl)}`;
}

/** The runtime's exposition; a comment when it does not answer, so the system's own still get scraped. */
async function runtimeMetricsText(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(RUNTIME_SCRAPE_TIMEOUT_MS) });
    if (!response.ok) return `# Temporal runtime metrics unavailable: HTTP ${response.status}\n`;
    return await response.text();
  } catch (error) {
    return `# Temporal runtime metrics unavailable: ${(error as Error).message}\n`;
  }
}
