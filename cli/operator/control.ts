// Acting on a run: cancel it (gracefully), terminate it (at once), or start it again.
import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandle, WorkflowStartOptions } from '@temporalio/client';
import { WorkflowNotFoundError, type SearchAttributePair, type TypedSearchAttributes } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes.js';
import {
  decodeArrayFromPayloads,
  decodeMapFromPayloads,
  decodeUserMetadata,
} from '@temporalio/common/lib/internal-non-workflow/index.js';
import { optionalTsToMs } from '@temporalio/common/lib/time.js';
import { HEALING_WORKFLOW_TYPE, type HealingInput } from '../../common/healing-contract.js';
import type { HealingResult } from '../../common/types.js';
import type { Database } from '../../db/connection.js';
import { getHealingEvent, updateHealingEvent } from '../../db/healing-events.js';
import { auditEventOf, type AuditSource } from './audit-source.js';
import { OperatorError, UsageError } from './errors.js';
import { operatorName, runningHandle } from './runs.js';

export interface ClosedRun {
  workflowId: string;
  runId: string;
  /** Temporal status after the request (CANCELLED, TERMINATED…; RUNNING when not waited for). */
  status: string;
  /** False when the run had not closed within the wait. */
  closed: boolean;
  /** The audit row's result afterwards, when the audit trail could be read. */
  eventResult?: HealingResult;
}

/**
 * Graceful stop: the run is told to cancel, records itself as cancelled (audit row, outcome
 * search attribute, admins told) and closes. Waits up to `waitMs` for it to close unless wait is false.
 */
export async function cancelRun(
  client: Client,
  audit: AuditSource | undefined,
  workflowId: string,
  options: { wait?: boolean; waitMs?: number } = {},
): Promise<ClosedRun> {
  const { handle, runId } = await runningHandle(client, workflowId);
  await handle.cancel();
  if (options.wait === false) return { workflowId, runId, status: 'CANCEL_REQUESTED', closed: false };
  const closed = await waitForClose(handle, options.waitMs ?? 60_000);
  const status = (await handle.describe()).status.name;
  const event = audit ? await auditEventOf(audit, workflowId) : undefined;
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
export async function terminateRun(
  client: Client,
  db: Database | undefined,
  workflowId: string,
  reason: string,
): Promise<ClosedRun> {
  if (!reason.trim()) throw new UsageError('terminate needs a --reason');
  const { handle, runId } = await runningHandle(client, workflowId);
  await handle.terminate(`${reason} (by ${operatorName()})`);
  let eventResult: HealingResult | undefined;
  if (db) {
    const event = await getHealingEvent(db, workflowId);
    if (event && (event.result === 'pending' || event.result === 'queued')) {
      eventResult = (await updateHealingEvent(db, workflowId, { result: 'cancelled' })) ? 'cancelled' : undefined;
    } else {
      eventResult = event?.result;
    }
  }
  return { workflowId, runId, status: (await handle.describe()).status.name, closed: true, eventResult };
}

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
function rerunWorkflowId(originalWorkflowId: string): string {
  return `${originalWorkflowId.replace(/-rerun-[0-9a-z]+$/i, '')}-rerun-${randomBytes(3).toString('hex')}`;
}

// The decoded arguments are a payload read back from the server: checked, not assumed.
function isHealingInput(value: unknown): value is HealingInput {
  return typeof value === 'object' && value !== null && typeof (value as HealingInput).workflowId === 'string';
}

/**
 * Starts a new run with the original's input, type, task queue, search attributes and summary,
 * under a new workflow id. A healing input carries its workflow id (the audit row's key): it is
 * the only field that changes, so the re-run gets its own audit row.
 */
export async function rerunRun(client: Client, workflowId: string, newWorkflowId?: string): Promise<RerunResult> {
  const original = await readStartedRun(client, workflowId);
  const rerunId = newWorkflowId ?? rerunWorkflowId(workflowId);
  const args = original.args.map((arg, index) =>
    index === 0 && original.workflowType === HEALING_WORKFLOW_TYPE && isHealingInput(arg)
      ? { ...arg, workflowId: rerunId }
      : arg,
  );
  const rerunNote = `Re-run of \`${workflowId}\` (run \`${original.runId}\`) by ${operatorName()}.`;
  const startOptions: WorkflowStartOptions = {
    workflowId: rerunId,
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
