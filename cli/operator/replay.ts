// Histories: export a run's as JSON, and replay recorded ones through the current workflow code.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client, HistoryAndWorkflowId } from '@temporalio/client';
import { WorkflowNotFoundError, type DataConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { describeError, OperatorError } from './errors.js';
import { historyFromJson, historyToJson } from './history-json.js';

async function fetchHistory(client: Client, workflowId: string, runId?: string): Promise<History> {
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

async function readHistoryFile(file: string): Promise<History> {
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

  const [{ Worker }, workflowsPath] = await Promise.all([
    import('@temporalio/worker'),
    resolveWorkflowsPath(options.workflowsPath),
  ]);
  const replayOptions = { workflowsPath, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) };
  let index = 0;
  for await (const result of Worker.runReplayHistories(replayOptions, histories())) {
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
  const { WORKFLOWS_PATH } = await import('../../workers/worker.js');
  return WORKFLOWS_PATH;
}
