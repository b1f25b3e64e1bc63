// This process's memory: resident set and heap use against thresholds. Healing may clear the
// application's caches and collect garbage, when either is available.
import { getHeapStatistics } from 'node:v8';
import type { CheckHooks, HealthCheckFactory } from '../check.js';

export interface MemoryCheckOptions {
  rssDegradedMb?: number;
  rssUnhealthyMb?: number;
  heapDegradedRatio?: number;
  heapUnhealthyRatio?: number;
}

const MB = 1024 * 1024;

export const memoryCheck: HealthCheckFactory = ({ options, defaultTimeoutMs }) => {
  const {
    rssDegradedMb = 1_024,
    rssUnhealthyMb = 2_048,
    heapDegradedRatio = 0.85,
    heapUnhealthyRatio = 0.95,
  } = options.memory ?? {};
  const hooks = clearCacheHook(options.hooks?.clearCaches);
  return {
    name: 'memory',
    configured: true,
    timeoutMs: defaultTimeoutMs,
    ignoresLatency: true,
    async probe() {
      const memory = process.memoryUsage();
      const heapLimit = getHeapStatistics().heap_size_limit;
      const heapRatio = memory.heapUsed / heapLimit;
      const details = {
        rssMb: Math.round(memory.rss / MB),
        heapUsedMb: Math.round(memory.heapUsed / MB),
        heapLimitMb: Math.round(heapLimit / MB),
        heapRatio: Math.round(heapRatio * 1000) / 1000,
      };
      const reading = `rss ${details.rssMb} MB, heap ${Math.round(heapRatio * 100)}% of limit`;
      if (memory.rss >= rssUnhealthyMb * MB || heapRatio >= heapUnhealthyRatio) {
        return { status: 'unhealthy', details, error: `memory high: ${reading}` };
      }
      if (memory.rss >= rssDegradedMb * MB || heapRatio >= heapDegradedRatio) {
        return { status: 'degraded', details, error: `memory rising: ${reading}` };
      }
      return { status: 'healthy', details };
    },
    ...(hooks.clearCache ? { healing: { strategies: ['CLEAR_CACHE_AND_RETRY'] }, hooks } : {}),
  };
};

/** The application's cache clearing and a garbage collection (when node runs with --expose-gc). */
function clearCacheHook(clearCaches: (() => unknown) | undefined): CheckHooks {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!clearCaches && !gc) return {};
  return {
    clearCache: async () => {
      await clearCaches?.();
      gc?.();
    },
  };
}
