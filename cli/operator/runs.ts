// Finding healing runs (Temporal visibility) and reading one: status, healing state, audit row.
import os from 'node:os';
import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { msToNumber, type Duration } from '@temporalio/common/lib/time.js';
import { HEALING_WORKFLOW_TYPE, healingStateQuery, type HealingState } from '../../common/healing-contract.js';
import * as attributes from '../../common/search-attributes.js';
import type { ErrorCategory, HealingResult, Severity, Strategy } from '../../common/types.js';
import { auditEventOf, type AuditEvent, type AuditSource } from './audit-source.js';
import { describeError, OperatorError, UsageError } from './errors.js';

const QUERY_TIMEOUT_MS = 5_000;

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
function buildVisibilityQuery(filters: RunFilters): string {
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
  if (filters.status !== undefined) clauses.push(`ExecutionStatus="${executionStatus(filters.status)}"`);
  if (filters.since) clauses.push(`StartTime>="${filters.since.toISOString()}"`);
  if (filters.until) clauses.push(`StartTime<"${filters.until.toISOString()}"`);
  if (filters.query?.trim()) clauses.push(`(${filters.query.trim()})`);
  return clauses.join(' AND ');
}

function executionStatus(given: string): string {
  const status = EXECUTION_STATUSES.find((known) => known.toLowerCase() === given.toLowerCase().replace(/[_-]/g, ''));
  if (!status) throw new UsageError(`unknown status ${given}: one of ${EXECUTION_STATUSES.join(', ')}`);
  return status;
}

/** `1h`, `30m`, `2d` (that long ago) or an ISO date/time. */
export function parseTime(text: string, now = new Date()): Date {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/i.test(trimmed)) {
    return new Date(now.getTime() - msToNumber(trimmed as Duration));
  }
  const date = new Date(trimmed);
  if (Number.isNaN(date.getTime())) {
    throw new UsageError(`cannot read the time ${JSON.stringify(text)}: use e.g. 1h, 30m, 2d or 2025-01-31T12:00:00Z`);
  }
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

/** The fields a listed run and a described run share. */
function summarise(info: Omit<WorkflowExecutionInfo, 'raw'>): RunSummary {
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
  limit: number;
  /** Ask running healing runs for their phase (needs the central worker). */
  withPhase: boolean;
}

/** Newest runs matching the filters, from Temporal visibility. */
export async function listRuns(client: Client, filters: RunFilters, options: ListRunsOptions): Promise<RunSummary[]> {
  const query = buildVisibilityQuery(filters);
  const runs: RunSummary[] = [];
  try {
    for await (const info of client.workflow.list({ query, pageSize: Math.min(options.limit, 100) })) {
      runs.push(summarise(info));
      if (runs.length >= options.limit) break;
    }
  } catch (error) {
    if (isInvalidQuery(error)) throw new UsageError(`the server rejected the query ${query}: ${describeError(error)}`);
    throw error;
  }
  if (options.withPhase) {
    await Promise.all(
      runs
        .filter((run) => run.status === 'RUNNING' && run.type === HEALING_WORKFLOW_TYPE)
        .map(async (run) => {
          const handle = client.workflow.getHandle(run.workflowId, run.runId);
          const state = await queryState(client, handle).catch(() => undefined);
          run.phase = state?.phase ?? 'unknown';
        }),
    );
  }
  return runs;
}

function isInvalidQuery(error: unknown): boolean {
  // gRPC INVALID_ARGUMENT (3) from ListWorkflowExecutions.
  return (error as { code?: unknown })?.code === 3 || /invalid query|INVALID_ARGUMENT/i.test(describeError(error));
}

/** The healing run's own account of itself (its state query), answered by the central worker. */
export async function queryState(client: Client, handle: WorkflowHandle): Promise<HealingState> {
  return client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(healingStateQuery));
}

export interface RunDetails extends RunSummary {
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
  /** Its audit row (healing_events), when recorded. */
  event?: AuditEvent;
  /** Why the audit trail could not be read (e.g. the worker is not running): the run is shown without it. */
  auditError?: string;
}

/** The run as Temporal knows it, and its audit row from `audit` (a failure to read it is reported, not thrown). */
export async function showRun(
  client: Client,
  audit: () => Promise<AuditSource>,
  workflowId: string,
): Promise<ShownRun> {
  const [run, read] = await Promise.all([
    describeRun(client, workflowId).catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }),
    audit()
      .then((source) => auditEventOf(source, workflowId))
      .then(
        (event) => ({ event, auditError: undefined }),
        (error: unknown) => ({ event: undefined, auditError: describeError(error) }),
      ),
  ]);
  if (!run && !read.event) {
    const why = read.auditError ? `; the audit trail was not read: ${read.auditError}` : ' and no healing event either';
    throw new OperatorError(`no workflow run with id ${workflowId}${why}`);
  }
  return { run, ...read };
}

async function describeRun(client: Client, workflowId: string): Promise<RunDetails> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const searchAttributes: Record<string, unknown> = {};
  for (const pair of description.typedSearchAttributes.getAll()) searchAttributes[pair.key.name] = pair.value;
  const [summary, details] = await Promise.all([description.staticSummary(), description.staticDetails()]);
  const run: RunDetails = {
    ...summarise(description),
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

/** The run's latest execution, which must be running (to cancel, terminate, approve it). */
export async function runningHandle(
  client: Client,
  workflowId: string,
): Promise<{ handle: WorkflowHandle; runId: string }> {
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

/** Who acts, for the history and the audit trail: HEAL_OPERATOR or the user name. */
export function operatorName(): string {
  try {
    return process.env.HEAL_OPERATOR ?? os.userInfo().username;
  } catch {
    return 'operator';
  }
}
