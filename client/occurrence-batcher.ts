// Sends occurrences that got no healing run of their own to their signature's occurrence log
// workflow (workflows/occurrence-log.ts), in batches: one signal-with-start per signature every
// `flushMs`, bounded in bytes to stay well under Temporal's payload limit. A batch the server did
// not take stays buffered and is sent again later; the buffer is bounded, and what it cannot hold
// is counted and reported as a warning rather than growing the process without limit.
import type { Client } from '@temporalio/client';
import {
  OCCURRENCE_LOG_WORKFLOW_TYPE,
  occurrencesJoinedSignal,
  type JoinedOccurrence,
  type OccurrenceLogInput,
} from '../common/occurrence-log-contract.js';
import * as attributes from '../common/search-attributes.js';
import { shortSignature } from '../common/signature.js';
import { occurrenceLogWorkflowId } from './workflow-ids.js';

export interface OccurrenceBatcherOptions {
  taskQueue: string;
  /** How long occurrences gather before they are sent. Default 100 ms. */
  flushMs?: number;
  /** Bytes (JSON) per signal; Temporal refuses payloads over 2 MB. Default 256 KiB. */
  maxBatchBytes?: number;
  /** Occurrences held while the server does not take them. Default 100,000. */
  maxBuffered?: number;
}

interface Pending {
  operation: string;
  occurrences: JoinedOccurrence[];
}

const MAX_RETRY_DELAY_MS = 30_000;
/**
 * An occurrence without a run of its own keeps less text than a run's input: its fault's full
 * message and stack are in the records of that fault's runs, and a storm must fit in few signals.
 */
const MAX_MESSAGE_CHARS = 1_000;
const MAX_STACK_CHARS = 2_000;

function bounded(occurrence: JoinedOccurrence): JoinedOccurrence {
  const { error } = occurrence;
  if (error.message.length <= MAX_MESSAGE_CHARS && (error.stack?.length ?? 0) <= MAX_STACK_CHARS) return occurrence;
  return {
    ...occurrence,
    error: {
      ...error,
      message: error.message.slice(0, MAX_MESSAGE_CHARS),
      stack: error.stack?.slice(0, MAX_STACK_CHARS),
    },
  };
}

export class OccurrenceBatcher {
  private readonly pending = new Map<string, Pending>();
  private buffered = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private retryDelayMs: number;
  private readonly flushMs: number;
  private readonly maxBatchBytes: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly client: Client,
    private readonly options: OccurrenceBatcherOptions,
  ) {
    this.flushMs = options.flushMs ?? 100;
    this.maxBatchBytes = options.maxBatchBytes ?? 256 * 1024;
    this.maxBuffered = options.maxBuffered ?? 100_000;
    this.retryDelayMs = this.flushMs;
  }

  add(operation: string, signature: string, occurrence: JoinedOccurrence): void {
    if (this.buffered >= this.maxBuffered) {
      if (this.dropped++ % 1_000 === 0)
        process.emitWarning(
          `self-healing: occurrence buffer full (${this.maxBuffered}); ${this.dropped} occurrence(s) not recorded`,
        );
      return;
    }
    const entry = this.pending.get(signature) ?? { operation, occurrences: [] };
    entry.occurrences.push(bounded(occurrence));
    this.pending.set(signature, entry);
    this.buffered++;
    this.schedule(this.flushMs);
  }

  /** Sends everything buffered now (close() calls it); resolves when the server has taken it or refused. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    this.flushing = this.sendAll().finally(() => {
      this.flushing = undefined;
      if (this.buffered > 0) this.schedule(this.retryDelayMs);
    });
    await this.flushing;
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    // A retry while the server refuses must not keep a finishing process alive.
    if (delayMs > this.flushMs) this.timer.unref();
  }

  private async sendAll(): Promise<void> {
    const signatures = [...this.pending.keys()];
    const sent = await Promise.all(signatures.map((signature) => this.sendSignature(signature)));
    // Back off while the server refuses; what it took has left the buffer either way.
    this.retryDelayMs = sent.every(Boolean) ? this.flushMs : Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
  }

  /** Sends this signature's occurrences batch by batch; false when the server refused one. */
  private async sendSignature(signature: string): Promise<boolean> {
    const entry = this.pending.get(signature)!;
    while (entry.occurrences.length > 0) {
      const batch = this.nextBatch(entry.occurrences);
      try {
        await this.client.workflow.signalWithStart(OCCURRENCE_LOG_WORKFLOW_TYPE, {
          workflowId: occurrenceLogWorkflowId(entry.operation, signature),
          taskQueue: this.options.taskQueue,
          args: [{ operation: entry.operation, signature } satisfies OccurrenceLogInput],
          signal: occurrencesJoinedSignal,
          signalArgs: [batch],
          staticSummary: `Occurrences of ${entry.operation} (${shortSignature(signature)}) recorded without a healing run of their own`,
          typedSearchAttributes: [
            { key: attributes.OPERATION, value: entry.operation },
            { key: attributes.ERROR_SIGNATURE, value: signature },
          ],
        });
      } catch {
        return false;
      }
      entry.occurrences.splice(0, batch.length);
      this.buffered -= batch.length;
    }
    this.pending.delete(signature);
    return true;
  }

  private nextBatch(occurrences: JoinedOccurrence[]): JoinedOccurrence[] {
    let bytes = 0;
    let count = 0;
    while (count < occurrences.length) {
      bytes += JSON.stringify(occurrences[count]).length;
      if (count > 0 && bytes > this.maxBatchBytes) break;
      count++;
    }
    return occurrences.slice(0, count);
  }
}
