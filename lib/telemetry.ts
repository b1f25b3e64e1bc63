// Tracing: OpenTelemetry spans for the healing path through the Temporal SDK's plugin
// (@temporalio/interceptors-opentelemetry: client, workflow and activity interceptors), exported over
// OTLP/HTTP. On only when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise no plugin is installed and
// nothing runs. The exporter reads the other standard OTEL_EXPORTER_OTLP_* variables (headers, timeout).
import { createRequire } from 'node:module';
import type { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

// The OpenTelemetry SDK (CommonJS) is required only when tracing is on: it is ~200 ms of modules.
const require = createRequire(import.meta.url);

export interface Tracing {
  /** Goes into a Client's, a Worker's and a workflow bundle's `plugins`. */
  readonly plugin: OpenTelemetryPlugin;
  /** Exports the spans still buffered. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>;
}

let processTracing: Tracing | undefined;

/**
 * The process's tracing, started on first use: it registers OpenTelemetry's global context manager
 * and propagator, so an application and a worker in one process share it (the first name given wins).
 */
export function tracingFromEnv(env: NodeJS.ProcessEnv, serviceName: string): Tracing | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  processTracing ??= startTracing(tracesUrl(endpoint, env), env.OTEL_SERVICE_NAME?.trim() || serviceName);
  return processTracing;
}

/** The OTLP/HTTP convention: the signal's own endpoint as given, else the base one plus /v1/traces. */
function tracesUrl(endpoint: string, env: NodeJS.ProcessEnv): string {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

function startTracing(url: string, serviceName: string): Tracing {
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const { OpenTelemetryPlugin } =
    require('@temporalio/interceptors-opentelemetry') as typeof import('@temporalio/interceptors-opentelemetry');
  const resource = new Resource({ 'service.name': serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return {
    plugin: new OpenTelemetryPlugin({ resource, spanProcessor, tracer: provider.getTracer('self-healing') }),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
