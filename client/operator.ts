// What an operator does to healing runs, as plain functions (the `heal` CLI wraps them):
// find runs, read one, cancel, terminate, re-run, approve or reject, export and replay histories.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, HistoryAndWorkflowId, WorkflowExecutionInfo, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowNotFoundError, type DataConverter, type SearchAttributePair, type TypedSearchAttributes } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import {
  decodeArrayFromPayloads,
  decodeMapFromPayloads,
  decodeUserMetadata,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { msToNumber, optionalTsToMs, type Duration } from '@temporalio/common/lib/time.js';
import {
  approvalSignal,
  HEALING_WORKFLOW_TYPE,
  healingStateQuery,
  type HealingInput,
  type HealingState,
} from '../common/healing-contract.js';
import * as attributes from '../common/search-attributes.js';
import type { ErrorCategory, HealingResult, Severity, Strategy } from '../common/types.js';
import type { Database } from '../db/connection.js';
// The query modules only: the CLI loads the database drivers (PGlite's WASM among them) when it needs them.
import { getHealingEvent, getHealingEvents, updateHealingEvent, type HealingEventFilters } from '../db/healing-events.js';
import type { HealingEventRow } from '../db/schema.js';
import { historyFromJson, historyToJson } from './history-json.js';

/** A failure the operator should read (unknown run, run not waiting for approval…): exit code 1. */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** Bad input on the command line (an unparseable time, a quote in a filter…): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const QUERY_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Finding runs

export interface RunFilters {
  operation?: string;
  category?: ErrorCategory | string;
  severity?: Severity | string;
  signature?: string;
  strategy?: Strategy | string;
  outcome?: HealingResult | string;
  /** Temporal execution status: Running, Completed, Failed, Canceled, Terminated, TimedOut, ContinuedAsNew. */
  status?: string;
  /** Workflow type; default the healing workflow, `all` for every type. */
  type?: string;
  /** Started at or after. */
  since?: Date;
  /** Started before. */
  until?: Date;
  /** Raw visibility query, ANDed with the rest. */
  query?: string;
}

const EXECUTION_STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'TimedOut', 'ContinuedAsNew'];

function literal(value: string): string {
  if (!value.includes('"')) return `"${value}"`;
  if (!value.includes("'")) return `'${value}'`;
  throw new UsageError(`a filter value cannot contain both kinds of quotes: ${value}`);
}

/** The visibility query for these filters, e.g. `WorkflowType="healingWorkflow" AND ErrorCategory="rate_limit"`. */
export function buildVisibilityQuery(filters: RunFilters): string {
  const clauses: string[] = [];
  const type = filters.type ?? HEALING_WORKFLOW_TYPE;
  if (type !== 'all') clauses.push(`WorkflowType=${literal(type)}`);
  const byAttribute: Array<[string, string | undefined]> = [
    [attributes.OPERATION.name, filters.operation],
    [attributes.ERROR_CATEGORY.name, filters.category],
    [attributes.ERROR_SEVERITY.name, filters.severity],
    [attributes.ERROR_SIGNATURE.name, filters.signature],
    [attributes.HEALING_STRATEGY.name, filters.strategy],
    [attributes.HEALING_OUTCOME.name, filters.outcome],
  ];
  for (const [name, value] of byAttribute) if (value !== undefined) clauses.push(`${name}=${literal(value)}`);
  if (filters.status !== undefined) {
    const status = EXECUTION_STATUSES.find((known) => known.toLowerCase() === filters.status!.toLowerCase().replace(/[_-]/g, ''));
    if (!status) throw new UsageError(`unknown status ${filters.status}: one of ${EXECUTION_STATUSES.join(', ')}`);
    clauses.push(`ExecutionStatus="${status}"`);
  }
  if (filters.since) clauses.push(`StartTime>="${filters.since.toISOString()}"`);
  if (filters.until) clauses.push(`StartTime<"${filters.until.toISOString()}"`);
  if (filters.query?.trim()) clauses.push(`(${filters.query.trim()})`);
  return clauses.join(' AND ');
}

/** `1h`, `30m`, `2d` (that long ago) or an ISO date/time. */
export function parseTime(text: string, now = new Date()): Date {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/i.test(trimmed)) {
    return new Date(now.getTime() - msToNumber(trimmed as Duration));
  }
  const date = new Date(trimmed);
  if (Number.isNaN(date.getTime())) throw new UsageError(`cannot read the time ${JSON.stringify(text)}: use e.g. 1h, 30m, 2d or 2025-01-31T12:00:00Z`);
  return date;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  taskQueue: string;
  startTime: Date;
  closeTime?: Date;
  operation?: string;
  category?: string;
  severity?: string;
  signature?: string;
  strategy?: string;
  outcome?: string;
  /** Healing phase of a running healing run (from its query), e.g. `awaiting-approval`. */
  phase?: string;
}

function summarise(info: WorkflowExecutionInfo): RunSummary {
  const found = info.typedSearchAttributes;
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name,
    taskQueue: info.taskQueue,
    startTime: info.startTime,
    closeTime: info.closeTime,
    operation: found.get(attributes.OPERATION),
    category: found.get(attributes.ERROR_CATEGORY),
    severity: found.get(attributes.ERROR_SEVERITY),
    signature: found.get(attributes.ERROR_SIGNATURE),
    strategy: found.get(attributes.HEALING_STRATEGY),
    outcome: found.get(attributes.HEALING_OUTCOME),
  };
}

export interface ListRunsOptions {
  limit?: number;
  /** Ask running healing runs for their phase (needs the central worker). Default true. */
  withPhase?: boolean;
}

/** Newest runs matching the filters, from Temporal visibility. */
export async function listRuns(client: Client, filters: RunFilters, options: ListRunsOptions = {}): Promise<RunSummary[]> {
  const limit = Math.max(1, options.limit ?? 50);
  const query = buildVisibilityQuery(filters);
  const runs: RunSummary[] = [];
  try {
    for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
      runs.push(summarise(info));
      if (runs.length >= limit) break;
    }
  } catch (error) {
    if (isInvalidQuery(error)) throw new UsageError(`the server rejected the query ${query}: ${(error as Error).message}`);
    throw error;
  }
  if (options.withPhase ?? true) {
    await Promise.all(
      runs
        .filter((run) => run.status === 'RUNNING' && run.type === HEALING_WORKFLOW_TYPE)
        .map(async (run) => {
          const state = await queryState(client, client.workflow.getHandle(run.workflowId, run.runId)).catch(() => undefined);
          run.phase = state?.phase ?? 'unknown';
        }),
    );
  }
  return runs;
}

function isInvalidQuery(error: unknown): boolean {
  // gRPC INVALID_ARGUMENT (3) from ListWorkflowExecutions.
  return (error as { code?: unknown })?.code === 3 || /invalid query|INVALID_ARGUMENT/i.test(String((error as Error)?.message));
}

/** Audit rows (healing_events), newest first. */
export async function listEvents(db: Database, filters: HealingEventFilters): Promise<{ rows: HealingEventRow[]; total: number }> {
  return getHealingEvents(db, filters);
}

// ---------------------------------------------------------------------------------------------
// One run

async function queryState(client: Client, handle: WorkflowHandle, timeoutMs = QUERY_TIMEOUT_MS): Promise<HealingState> {
  return client.withDeadline(Date.now() + timeoutMs, () => handle.query(healingStateQuery));
}

export interface RunDetails {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  taskQueue: string;
  startTime: Date;
  closeTime?: Date;
  historyLength: number;
  summary?: string;
  details?: string;
  searchAttributes: Record<string, unknown>;
  pendingActivities: Array<{ activity: string; attempt: number; lastFailure?: string }>;
  /** The healing run's own account (query); absent when no worker answered. */
  state?: HealingState;
  stateError?: string;
}

export interface ShownRun {
  run?: RunDetails;
  /** Its healing_events row, when a database is configured. */
  event?: HealingEventRow;
}

export async function showRun(client: Client, db: Database | undefined, workflowId: string): Promise<ShownRun> {
  const [run, event] = await Promise.all([
    describeRun(client, workflowId).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }),
    db ? getHealingEvent(db, workflowId) : Promise.resolve(undefined),
  ]);
  if (!run && !event) throw new OperatorError(`no workflow run with id ${workflowId}${db ? ' and no healing event either' : ''}`);
  return { run, event };
}

async function describeRun(client: Client, workflowId: string): Promise<RunDetails> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  const searchAttributes: Record<string, unknown> = {};
  for (const pair of description.typedSearchAttributes.getAll()) searchAttributes[pair.key.name] = pair.value;
  const [summary, details] = await Promise.all([description.staticSummary(), description.staticDetails()]);
  const run: RunDetails = {
    workflowId: description.workflowId,
    runId: description.runId,
    type: description.type,
    status: description.status.name,
    taskQueue: description.taskQueue,
    startTime: description.startTime,
    closeTime: description.closeTime,
    historyLength: description.historyLength,
    summary,
    details,
    searchAttributes,
    pendingActivities: (description.raw.pendingActivities ?? []).map((activity) => ({
      activity: activity.activityType?.name ?? '?',
      attempt: activity.attempt ?? 0,
      lastFailure: activity.lastFailure?.message ?? undefined,
    })),
  };
  if (description.type === HEALING_WORKFLOW_TYPE) {
    try {
      run.state = await queryState(client, client.workflow.getHandle(workflowId, description.runId));
    } catch (error) {
      run.stateError = `no answer to the state query (${describeError(error)}) — is the central worker running?`;
    }
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// Cancel, terminate

async function runningHandle(client: Client, workflowId: string): Promise<{ handle: WorkflowHandle; runId: string }> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) throw new OperatorError(`no workflow run with id ${workflowId}`);
      throw error;
    });
  if (description.status.name !== 'RUNNING') {
    throw new OperatorError(`${workflowId} is not running (status ${description.status.name})`);
  }
  return { handle: client.workflow.getHandle(workflowId, description.runId), runId: description.runId };
}

export interface ClosedRun {
  workflowId: string;
  runId: string;
  /** Temporal status after the request (CANCELLED, TERMINATED…; RUNNING when not waited for). */
  status: string;
  /** False when the run had not closed within the wait. */
  closed: boolean;
  /** The audit row's result afterwards, when a database is configured. */
  eventResult?: HealingResult;
}

/**
 * Graceful stop: the run is told to cancel, records itself as cancelled (audit row, outcome
 * search attribute, admins told) and closes. Waits up to `waitMs` for it to close unless wait is false.
 */
export async function cancelRun(
  client: Client,
  db: Database | undefined,
  workflowId: string,
  options: { wait?: boolean; waitMs?: number } = {},
): Promise<ClosedRun> {
  const { handle, runId } = await runningHandle(client, workflowId);
  await handle.cancel();
  if (options.wait === false) return { workflowId, runId, status: 'CANCEL_REQUESTED', closed: false };
  const closed = await waitForClose(handle, options.waitMs ?? 60_000);
  const status = (await handle.describe()).status.name;
  const event = db ? await getHealingEvent(db, workflowId) : undefined;
  return { workflowId, runId, status, closed, eventResult: event?.result };
}

async function waitForClose(handle: WorkflowHandle, waitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), waitMs);
  });
  try {
    return await Promise.race([
      handle.result().then(
        () => true,
        () => true,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Hard stop: the run ends at once and cannot record anything. Its audit row, if still open
 * (pending or queued), is closed as cancelled here so that it does not stay pending forever.
 */
export async function terminateRun(client: Client, db: Database | undefined, workflowId: string, reason: string): Promise<ClosedRun> {
  if (!reason.trim()) throw new UsageError('terminate needs a --reason');
  const { handle, runId } = await runningHandle(client, workflowId);
  await handle.terminate(`${reason} (by ${operatorName()})`);
  let eventResult: HealingResult | undefined;
  if (db) {
    const event = await getHealingEvent(db, workflowId);
    if (event && (event.result === 'pending' || event.result === 'queued')) {
      eventResult = (await updateHealingEvent(db, workflowId, { result: 'cancelled' }))?.result;
    } else {
      eventResult = event?.result;
    }
  }
  return { workflowId, runId, status: (await handle.describe()).status.name, closed: true, eventResult };
}

export function operatorName(): string {
  try {
    return process.env.HEAL_OPERATOR ?? os.userInfo().username;
  } catch {
    return 'operator';
  }
}

// ---------------------------------------------------------------------------------------------
// Re-run

export interface StartedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
  /** The run's arguments, decoded with the client's data converter. */
  args: unknown[];
  searchAttributes: SearchAttributePair[];
  staticSummary?: string;
  staticDetails?: string;
  memo?: Record<string, unknown>;
  workflowRunTimeoutMs?: number;
  workflowExecutionTimeoutMs?: number;
}

/** How a run was started, read from the first event of its history. */
export async function readStartedRun(client: Client, workflowId: string, runId?: string): Promise<StartedRun> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const history = await handle.fetchHistory().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) throw new OperatorError(`no workflow run with id ${workflowId}`);
    throw error;
  });
  const first = history.events?.[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  if (!first || !started) throw new OperatorError(`the history of ${workflowId} does not begin with its start event`);
  const converter = client.options.loadedDataConverter;
  const [args, metadata, memo] = await Promise.all([
    decodeArrayFromPayloads(converter, started.input?.payloads),
    decodeUserMetadata(converter, first.userMetadata),
    decodeMapFromPayloads(converter, started.memo?.fields ?? undefined),
  ]);
  const typed: TypedSearchAttributes = decodeTypedSearchAttributes(started.searchAttributes?.indexedFields);
  return {
    workflowId,
    runId: started.originalExecutionRunId ?? runId ?? '',
    workflowType: started.workflowType?.name ?? '',
    taskQueue: started.taskQueue?.name ?? '',
    args,
    searchAttributes: typed.getAll(),
    staticSummary: metadata.staticSummary,
    staticDetails: metadata.staticDetails,
    memo: memo && Object.keys(memo).length ? memo : undefined,
    workflowRunTimeoutMs: optionalTsToMs(started.workflowRunTimeout),
    workflowExecutionTimeoutMs: optionalTsToMs(started.workflowExecutionTimeout),
  };
}

export interface RerunResult {
  originalWorkflowId: string;
  originalRunId: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
}

/** `heal-x-1a2b` → `heal-x-1a2b-rerun-<suffix>`; a re-run of a re-run gets a new suffix, not a second one. */
export function rerunWorkflowId(originalWorkflowId: string, suffix = randomBytes(3).toString('hex')): string {
  return `${originalWorkflowId.replace(/-rerun-[0-9a-z]+$/i, '')}-rerun-${suffix}`;
}

function isHealingInput(value: unknown): value is HealingInput {
  return typeof value === 'object' && value !== null && typeof (value as HealingInput).workflowId === 'string';
}

/**
 * Starts a new run with the original's input, type, task queue, search attributes and summary,
 * under a new workflow id. A healing input carries its workflow id (the audit row's key): it is
 * the only field that changes, so the re-run gets its own audit row.
 */
export async function rerunRun(client: Client, workflowId: string, options: { newWorkflowId?: string } = {}): Promise<RerunResult> {
  const original = await readStartedRun(client, workflowId);
  const newWorkflowId = options.newWorkflowId ?? rerunWorkflowId(workflowId);
  const args = original.args.map((arg, index) =>
    index === 0 && original.workflowType === HEALING_WORKFLOW_TYPE && isHealingInput(arg) ? { ...arg, workflowId: newWorkflowId } : arg,
  );
  const rerunNote = `Re-run of \`${workflowId}\` (run \`${original.runId}\`) by ${operatorName()}.`;
  const startOptions: WorkflowStartOptions = {
    workflowId: newWorkflowId,
    taskQueue: original.taskQueue,
    args,
    staticSummary: original.staticSummary,
    staticDetails: original.staticDetails ? `${original.staticDetails}\n\n${rerunNote}` : rerunNote,
    ...(original.searchAttributes.length ? { typedSearchAttributes: original.searchAttributes } : {}),
    ...(original.memo ? { memo: original.memo } : {}),
    ...(original.workflowRunTimeoutMs ? { workflowRunTimeout: original.workflowRunTimeoutMs } : {}),
    ...(original.workflowExecutionTimeoutMs ? { workflowExecutionTimeout: original.workflowExecutionTimeoutMs } : {}),
  };
  const handle = await client.workflow.start(original.workflowType, startOptions);
  return {
    originalWorkflowId: workflowId,
    originalRunId: original.runId,
    workflowId: handle.workflowId,
    runId: handle.firstExecutionRunId,
    workflowType: original.workflowType,
    taskQueue: original.taskQueue,
  };
}

// ---------------------------------------------------------------------------------------------
// Approval

export interface ApprovalResult {
  workflowId: string;
  approved: boolean;
  strategy?: Strategy;
  by: string;
}

/** Sends the operator's decision to a run that is waiting for approval of a strategy. */
export async function decideApproval(
  client: Client,
  workflowId: string,
  decision: { approved: boolean; by?: string; reason?: string },
): Promise<ApprovalResult> {
  const { handle } = await runningHandle(client, workflowId);
  let state: HealingState;
  try {
    state = await queryState(client, handle);
  } catch (error) {
    throw new OperatorError(`cannot read the state of ${workflowId} (${describeError(error)}) — is the central worker running?`);
  }
  if (state.phase !== 'awaiting-approval') {
    throw new OperatorError(`${workflowId} is not waiting for approval (phase ${state.phase})`);
  }
  const by = decision.by ?? operatorName();
  await handle.signal(approvalSignal, { approved: decision.approved, by, ...(decision.reason ? { reason: decision.reason } : {}) });
  return { workflowId, approved: decision.approved, strategy: state.currentStrategy, by };
}

// ---------------------------------------------------------------------------------------------
// Histories: export and replay

export async function fetchHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
  return client.workflow
    .getHandle(workflowId, runId)
    .fetchHistory()
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) throw new OperatorError(`no workflow run with id ${workflowId}`);
      throw error;
    });
}

/** The run's history as JSON that `replay FILE`, the replay test and `temporal workflow show` all read. */
export async function exportHistory(client: Client, workflowId: string, runId?: string): Promise<string> {
  return historyToJson(await fetchHistory(client, workflowId, runId));
}

export async function readHistoryFile(file: string): Promise<History> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new OperatorError(`cannot read ${file}: ${describeError(error)}`);
  }
  try {
    return historyFromJson(JSON.parse(text));
  } catch (error) {
    throw new OperatorError(`${file} is not a workflow history in JSON: ${describeError(error)}`);
  }
}

export interface ReplayOutcome {
  /** The workflow id or file given, or the workflow id found by the --all query. */
  source: string;
  workflowId: string;
  runId?: string;
  ok: boolean;
  /** The current code does not produce the recorded commands (DeterminismViolationError). */
  nondeterministic: boolean;
  error?: string;
}

export interface ReplayOptions {
  /** Workflow code to replay with. Default: the central worker's workflows (workers/worker.ts). */
  workflowsPath?: string;
  /** Also replay every run this visibility query matches. */
  query?: string;
  /** The workers' data converter, when payloads are encoded (e.g. encrypted). */
  dataConverter?: DataConverter;
}

export function looksLikeHistoryFile(source: string): boolean {
  return source.endsWith('.json') || existsSync(source);
}

/**
 * Replays recorded histories (workflow ids fetched from the server, JSON files, runs matching a
 * query) through the current workflow code with the SDK's replayer. Every history gets an outcome;
 * none throws for a failed replay.
 */
export async function replayHistories(
  client: Client | undefined,
  sources: readonly string[],
  options: ReplayOptions = {},
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const loaded: Array<HistoryAndWorkflowId & { source: string }> = [];
  for (const source of sources) {
    try {
      if (looksLikeHistoryFile(source)) {
        loaded.push({ source, workflowId: path.basename(source, '.json'), history: await readHistoryFile(source) });
      } else {
        if (!client) throw new OperatorError('replaying a workflow id needs a Temporal connection');
        loaded.push({ source, workflowId: source, history: await fetchHistory(client, source) });
      }
    } catch (error) {
      if (!(error instanceof OperatorError)) throw error;
      outcomes.push({ source, workflowId: source, ok: false, nondeterministic: false, error: error.message });
    }
  }
  if (options.query !== undefined && !client) throw new OperatorError('replay --all needs a Temporal connection');

  const yielded: string[] = [];
  async function* histories(): AsyncIterable<HistoryAndWorkflowId> {
    for (const item of loaded) {
      yielded.push(item.source);
      yield { workflowId: item.workflowId, history: item.history };
    }
    if (options.query !== undefined) {
      for await (const item of client!.workflow.list({ query: options.query }).intoHistories()) {
        yielded.push(item.workflowId);
        yield item;
      }
    }
  }
  if (loaded.length === 0 && options.query === undefined) return outcomes;

  const [{ Worker }, workflowsPath] = await Promise.all([import('@temporalio/worker'), resolveWorkflowsPath(options.workflowsPath)]);
  let index = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) }, histories())) {
    const error = result.error;
    outcomes.push({
      source: yielded[index++] ?? result.workflowId,
      workflowId: result.workflowId,
      runId: result.runId,
      ok: !error,
      nondeterministic: error?.name === 'DeterminismViolationError',
      ...(error ? { error: error.message } : {}),
    });
  }
  return outcomes;
}

async function resolveWorkflowsPath(workflowsPath: string | undefined): Promise<string> {
  if (workflowsPath !== undefined) {
    const resolved = path.resolve(workflowsPath);
    if (!existsSync(resolved)) throw new OperatorError(`no workflow code at ${resolved}`);
    return resolved;
  }
  // Imported here, not at the top: it loads every activity module, which only replay needs.
  const { WORKFLOWS_PATH } = await import('../workers/worker.js');
  return WORKFLOWS_PATH;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
