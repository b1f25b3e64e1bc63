// One shared circuit breaker (see common/circuit-breaker/): the instances' reports fill its
// window; when the window says open it opens for every instance, waits on a durable timer, lets
// the system run one probe of the operation on the application's task queue, and closes on its
// success or opens again for longer. Operators open and close it by hand. The state is in the
// workflow (memo and CircuitState search attribute for every instance and the UI), so a restart
// of any instance or of the worker loses nothing; it continues as new to bound its history.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  BREAKER_IDLE_MS,
  BREAKER_MEMO_KEY,
  breakerControlUpdate,
  breakerReportSignal,
  breakerViewQuery,
  type BreakerControl,
  type BreakerInput,
  type BreakerMemory,
  type BreakerReport,
  type BreakerStatus,
  type BreakerView,
} from '../common/circuit-breaker/contract.js';
import { resolveCircuitBreaker, type CircuitBreakerSettings } from '../common/circuit-breaker/settings.js';
import { addBuckets, openDelayMs, prune, summarize } from '../common/circuit-breaker/window.js';
import type { AppActivities } from '../common/healing-contract.js';
import * as attributes from '../common/search-attributes.js';
import { failureReason } from '../common/strategies/failure-reason.js';
import type { SelfHealingActivities } from '../activities/index.js';

const alerts = proxyActivities<SelfHealingActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
  summary: 'alert admins (breaker)',
});

/** A probe bounded in time: a probe that cannot run (no application worker) counts as failed. */
const PROBE_TIMEOUT_MS = 30_000;
/** Continue as new well before Temporal suggests it: reports arrive all the time while it is busy. */
const MAX_HISTORY_EVENTS = 2_000;

export async function circuitBreakerWorkflow(input: BreakerInput): Promise<BreakerStatus> {
  const { workflowId } = workflowInfo();
  let settings = input.settings;
  let appTaskQueue = input.appTaskQueue;
  const memory: BreakerMemory = input.carried ?? {
    state: 'closed',
    since: Date.now(),
    reason: 'no failures yet',
    failedProbes: 0,
    openings: 0,
    probes: 0,
    rejected: 0,
    window: {},
  };
  let lastReportAt = Date.now();
  /** A change asked of the main loop: the window said open, or an operator acted. */
  let asked: { to: 'open' | 'closed'; reason: string; manual?: { by: string } } | undefined;
  const pendingAlerts: Promise<unknown>[] = [];

  const view = (): BreakerView => {
    const { open: _open, ...window } = summarize(memory.window, settings, Date.now());
    return {
      breakerId: workflowId,
      operation: input.operation,
      settings,
      state: memory.state,
      since: memory.since,
      reason: memory.reason,
      ...(memory.retryAt !== undefined ? { retryAt: memory.retryAt } : {}),
      ...(memory.manual ? { manual: memory.manual } : {}),
      window,
      openings: memory.openings,
      probes: memory.probes,
      failedProbes: memory.failedProbes,
      ...(memory.lastProbe ? { lastProbe: memory.lastProbe } : {}),
      rejected: memory.rejected,
    };
  };

  const onReport = (report: BreakerReport) => {
    const now = Date.now();
    lastReportAt = now;
    settings = validSettings(report.settings) ?? settings;
    appTaskQueue = report.appTaskQueue;
    memory.rejected += report.rejected;
    if (report.probeArgs !== undefined) memory.probeArgs = report.probeArgs;
    // Calls that ran while it was open (started just before) say nothing about the next probe.
    if (memory.state !== 'closed') return;
    const buckets = report.buckets.map((bucket) => ({
      at: now - bucket.ageMs,
      calls: bucket.calls,
      failures: bucket.failures,
    }));
    addBuckets(memory.window, report.instance, buckets, now, settings.windowMs);
    const summary = summarize(memory.window, settings, now);
    setCurrentDetails(details(memory.state, summary.reason));
    if (summary.open && !asked) asked = { to: 'open', reason: summary.reason };
  };

  setHandler(breakerReportSignal, onReport);
  setHandler(breakerViewQuery, view);
  setHandler(
    breakerControlUpdate,
    async (control: BreakerControl) => {
      asked =
        control.action === 'open'
          ? { to: 'open', reason: `opened by ${control.by}: ${control.reason}`, manual: { by: control.by } }
          : { to: 'closed', reason: `closed by ${control.by}: ${control.reason}` };
      await condition(() => asked === undefined);
      return view();
    },
    {
      validator: (control: BreakerControl) => {
        if (control.action !== 'open' && control.action !== 'close')
          throw new Error(`unknown action ${String(control.action)}`);
        if (typeof control.reason !== 'string' || !control.reason.trim()) throw new Error('a reason is required');
      },
    },
  );

  const publish = () => {
    const status: BreakerStatus = {
      state: memory.state,
      since: memory.since,
      reason: memory.reason,
      ...(memory.retryAt !== undefined ? { retryAt: memory.retryAt } : {}),
    };
    upsertMemo({ [BREAKER_MEMO_KEY]: status });
    upsertSearchAttributes([
      { key: attributes.OPERATION, value: input.operation },
      { key: attributes.CIRCUIT_STATE, value: memory.state },
    ]);
    setCurrentDetails(details(memory.state, memory.reason));
  };

  const become = (state: BreakerMemory['state'], reason: string) => {
    const wasOpen = memory.state !== 'closed';
    memory.state = state;
    memory.since = Date.now();
    memory.reason = reason;
    if (state === 'closed') {
      memory.retryAt = undefined;
      memory.manual = undefined;
      memory.failedProbes = 0;
      memory.window = {};
    }
    publish();
    // One alert per opening and one when that opening closes (notification ids make retries safe).
    if (state === 'open' && !wasOpen) {
      memory.openings++;
      pendingAlerts.push(
        alerts.notifyBreakerChange({
          breakerId: workflowId,
          operation: input.operation,
          change: 'opened',
          opening: memory.openings,
          reason,
        }),
      );
    }
    if (state === 'closed' && wasOpen) {
      pendingAlerts.push(
        alerts.notifyBreakerChange({
          breakerId: workflowId,
          operation: input.operation,
          change: 'closed',
          opening: memory.openings,
          reason,
        }),
      );
    }
  };

  /** Applies what was asked (a manual action wins over the window). */
  const applyAsked = () => {
    const change = asked!;
    asked = undefined;
    if (change.to === 'closed') return become('closed', change.reason);
    memory.manual = change.manual;
    memory.retryAt = change.manual ? undefined : Date.now() + openDelayMs(settings, memory.failedProbes);
    become('open', change.reason);
  };

  const probe = async () => {
    become('half-open', 'probing');
    memory.probes++;
    const started = Date.now();
    try {
      if (!appTaskQueue) throw ApplicationFailure.nonRetryable('no instance has reported its task queue yet');
      const app = proxyActivities<AppActivities>({
        taskQueue: appTaskQueue,
        scheduleToCloseTimeout: PROBE_TIMEOUT_MS,
        retry: { maximumAttempts: 1 },
        summary: 'probe (half-open)',
      });
      await app.runOperation({ operation: input.operation, sealedArgs: memory.probeArgs });
      memory.lastProbe = { at: started, ok: true };
      become('closed', 'the probe succeeded');
    } catch (error) {
      const reason = failureReason(error);
      memory.lastProbe = { at: started, ok: false, error: reason };
      memory.failedProbes++;
      memory.retryAt = Date.now() + openDelayMs(settings, memory.failedProbes);
      become('open', `the probe failed: ${reason}`);
    }
  };

  publish();
  for (;;) {
    if (asked) applyAsked();
    else if (memory.state === 'closed') {
      const idleMs = Math.max(BREAKER_IDLE_MS, 10 * settings.windowMs);
      const woke = await condition(() => asked !== undefined, Math.max(1, lastReportAt + idleMs - Date.now()));
      if (!woke && Date.now() - lastReportAt >= idleMs) break;
    } else if (memory.retryAt === undefined) {
      await condition(() => asked !== undefined); // held open by hand
    } else {
      const woke = await condition(() => asked !== undefined, Math.max(1, memory.retryAt - Date.now()));
      if (!woke) await probe();
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      await Promise.all(pendingAlerts);
      await condition(() => asked === undefined && allHandlersFinished());
      prune(memory.window, Date.now(), settings.windowMs);
      await continueAsNew<typeof circuitBreakerWorkflow>({
        operation: input.operation,
        settings,
        appTaskQueue,
        carried: memory,
      });
    }
  }
  await Promise.all(pendingAlerts);
  return { state: memory.state, since: memory.since, reason: memory.reason };
}

/** The reporter's settings when they hold (an application validates them; an older or foreign one may not). */
function validSettings(chosen: CircuitBreakerSettings): CircuitBreakerSettings | undefined {
  try {
    return resolveCircuitBreaker('breaker', chosen);
  } catch {
    return undefined;
  }
}

function details(state: string, reason: string): string {
  return `**${state}**: ${reason}`;
}
