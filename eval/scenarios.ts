// Runs corpus scenarios against the system: one operation per scenario (its own signature), a
// scripted function behind it, the caller's outcome classified, the deciding strategy read from
// the run's healing_events row, the re-runs counted by the function itself.
import { OperationQueuedError, type HealingAnnotations } from '../client/self-healing.js';
import type { OperationOptions } from '../client/operation-registry.js';
import { approvalSignal, healingStateQuery, type HealingTiming } from '../common/healing-contract.js';
import type { Strategy } from '../common/types.js';
import type { HealingEventRow } from '../db/index.js';
import type { Outcome, Scenario, ScenarioOptions } from './corpus.js';
import { ALTERNATE, scriptedOperation, type ScriptedOperation } from './faults.js';
import type { EvalSystem } from './system.js';

/** What a caller got: an expected outcome, or something no rule allows. */
export type CallerResult = Outcome | 'other value' | 'other error' | 'same error without healingWorkflowId';

export interface ScenarioResult {
  scenario: Scenario;
  got: CallerResult;
  /** The strategy whose attempt answered the caller (healing_events), 'none', or 'no record'. */
  strategy: Strategy | 'none' | 'no record';
  /** Strategies in the order the run tried them (attempt_log). */
  tried: Strategy[];
  reruns: number;
  /** Invocations after the caller got its error (not queued): an honest deadline has none. */
  runsAfterAnswer: number;
  /** How long the caller waited, ms. */
  waitedMs: number;
  /** Expectations the system missed; empty when it met them all. */
  misses: string[];
}

/** Faster than the defaults where nothing in the scenario depends on them. */
const EVAL_TIMING: Partial<HealingTiming> = {
  operationTimeoutMs: 5_000,
  queueDelayMs: 2_000,
  approvalTimeoutMs: 5_000,
};
const DEFAULT_QUIET_MS = 4_000;
const RECORD_WAIT_MS = 10_000;
const KEY = 'order-1';

export async function runScenarios(
  system: EvalSystem,
  scenarios: Scenario[],
  { concurrency = 8, onResult = (_: ScenarioResult) => {} } = {},
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (let from = 0; from < scenarios.length; from += concurrency) {
    const batch = scenarios.slice(from, from + concurrency);
    const done = await Promise.all(
      batch.map((scenario) => runScenario(system, scenario).then((result) => (onResult(result), result))),
    );
    results.push(...done);
  }
  return results;
}

async function runScenario(system: EvalSystem, scenario: Scenario): Promise<ScenarioResult> {
  const operation = `eval.${scenario.id}`;
  const script = scriptedOperation(scenario.id, scenario.fault);
  if (scenario.llm) system.scriptLlm(operation, scenario.llm);
  const call = system.healer.withSelfHealing(operation, script.fn, operationOptions(scenario.options, script));
  if (scenario.options.cached) await script.prime(call, KEY);
  const earlier = scenario.earlier ?? 0;
  for (let run = 1; run <= earlier; run++) {
    await call(KEY).catch(() => undefined);
    await finishedRun(system, operation, run);
    script.rearm();
  }

  const approving = scenario.approval ? answerApproval(system, operation, scenario.approval === 'approve') : undefined;
  const started = performance.now();
  const settled = await call(KEY).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const waitedMs = performance.now() - started;
  const answeredAt = Date.now();
  const got = classify(settled, script);
  const answeredWithError = !settled.ok && got !== 'queued';
  if (answeredWithError) await sleep(scenario.quietMs ?? DEFAULT_QUIET_MS);
  const event = await settledEvent(system, operation, earlier + 1);
  await approving;

  const callsByAnswer = script.calls.filter((at) => at <= answeredAt).length;
  const result: ScenarioResult = {
    scenario,
    got,
    strategy: event ? decidingStrategy(event) : 'no record',
    tried: (event?.attemptLog ?? []).map((attempt) => attempt.strategy),
    reruns: Math.max(0, (got === 'queued' ? callsByAnswer : script.calls.length) - 1),
    runsAfterAnswer: answeredWithError ? script.calls.length - callsByAnswer : 0,
    waitedMs,
    misses: [],
  };
  result.misses = missesOf(result);
  return result;
}

function operationOptions(options: ScenarioOptions, script: ScriptedOperation): OperationOptions<string> {
  return {
    ...(options.critical !== undefined ? { critical: options.critical } : {}),
    ...(options.queueForLater ? { queueForLater: true } : {}),
    ...(options.defaultValue ? { defaultValue: script.defaultValue } : {}),
    ...(options.cacheResults ? { cacheResults: true } : {}),
    ...(options.alternateEndpoints ? { alternateEndpoints: [ALTERNATE] } : {}),
    ...(options.hooks ? { hooks: Object.fromEntries(options.hooks.map((hook) => [hook, script.hooks[hook]])) } : {}),
    ...(options.requiresApproval ? { requiresApproval: options.requiresApproval } : {}),
    ...(options.waitForHealingMs ? { waitForHealingMs: options.waitForHealingMs } : {}),
    timing: { ...EVAL_TIMING, ...options.timing },
  };
}

type Settled = { ok: true; value: string } | { ok: false; error: unknown };

function classify(settled: Settled, script: ScriptedOperation): CallerResult {
  if (settled.ok) {
    const answers: Record<string, Outcome> = {
      [script.freshValue]: 'value',
      [script.cachedValue]: 'cached',
      [script.defaultValue]: 'default',
    };
    if (settled.value === undefined) return 'skipped';
    return answers[settled.value] ?? 'other value';
  }
  const { error } = settled;
  if (error instanceof OperationQueuedError) return 'queued';
  if (!script.firstThrown || error !== script.firstThrown.value) return 'other error';
  const annotatable = error !== null && typeof error === 'object' && Object.isExtensible(error);
  return annotatable && !(error as HealingAnnotations).healingWorkflowId
    ? 'same error without healingWorkflowId'
    : 'same error';
}

/** The strategy whose attempt answered the caller; while a queued call waits, the row's strategy. */
function decidingStrategy(event: HealingEventRow): Strategy | 'none' {
  const answering = event.attemptLog.find((attempt) => ['healed', 'skipped', 'queued'].includes(attempt.result));
  if (answering) return answering.strategy;
  return event.result === 'queued' && event.strategy ? event.strategy : 'none';
}

function missesOf(result: ScenarioResult): string[] {
  const { expect } = result.scenario;
  const misses: string[] = [];
  if (result.got !== expect.outcome) misses.push(`caller got ${result.got}, expected ${expect.outcome}`);
  if (result.strategy === 'no record') misses.push('no healing_events row');
  else if (result.strategy !== expect.strategy)
    misses.push(`decided by ${result.strategy}, expected ${expect.strategy}`);
  if (result.reruns > expect.maxReruns) misses.push(`${result.reruns} re-runs, at most ${expect.maxReruns} expected`);
  if (result.runsAfterAnswer > 0) misses.push(`ran ${result.runsAfterAnswer} time(s) after the caller got its error`);
  return misses;
}

/** The row of the operation's `run`th run once it has an outcome (or whatever it has after RECORD_WAIT_MS). */
async function settledEvent(system: EvalSystem, operation: string, run = 1): Promise<HealingEventRow | undefined> {
  const deadline = Date.now() + RECORD_WAIT_MS;
  for (;;) {
    const event = (await system.eventsOf(operation))[run - 1];
    if ((event && event.result !== 'pending') || Date.now() > deadline) return event;
    await sleep(200);
  }
}

/** Waits until the operation's `run`th run has closed: learned from and watched, like a past occurrence. */
async function finishedRun(system: EvalSystem, operation: string, run: number): Promise<void> {
  const event = await settledEvent(system, operation, run);
  if (event?.workflowId)
    await system.client.workflow
      .getHandle(event.workflowId)
      .result()
      .catch(() => undefined);
}

/** Answers the run's approval request as an operator would, once the run waits for it. */
async function answerApproval(system: EvalSystem, operation: string, approved: boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const workflowId = (await system.eventsOf(operation))[0]?.workflowId;
    if (workflowId) {
      const handle = system.client.workflow.getHandle(workflowId);
      const state = await handle.query(healingStateQuery).catch(() => undefined);
      if (state?.phase === 'awaiting-approval') {
        await handle.signal(approvalSignal, {
          approved,
          by: 'eval',
          reason: approved ? 'eval approves' : 'eval refuses',
        });
        return;
      }
      if (state?.phase === 'done') return;
    }
    await sleep(200);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
