// Admission for healing runs (storm control on the application side): at most `perSignature`
// runs of one fault and `total` runs in all are in flight from this process. A failure beyond
// that waits, first come first served, for a run of its signature to finish, until its caller's
// deadline — or until a run of its signature heals by re-running the operation: that remedy is
// handed to every waiter, which applies it to its own call. One that gets neither is recorded by
// the occurrence log. This keeps a storm from queueing thousands of runs (and long-polls) on the
// Temporal server while its callers are still healed.
import type { Strategy } from '../common/types.js';

export interface AdmissionLimits {
  /** Healing runs of one error signature in flight at once. Default 50. */
  perSignature?: number;
  /** Healing runs in flight at once from this process. Default 500. */
  total?: number;
}

/** How a run of the signature healed its own call, for the calls waiting beside it. */
export interface Remedy {
  strategy: Strategy;
  /** The alternate endpoint that worked (SWITCH_API_ENDPOINT). */
  endpoint?: string;
  healingWorkflowId: string;
}

/** A run of its own (release it when it is done), a remedy to apply, or neither before the deadline. */
export type Admission = { release: () => void } | { remedy: Remedy } | undefined;

/** How long a remedy is handed to new failures of its signature that find no room. */
const REMEDY_TTL_MS = 60_000;

interface Waiter {
  workflowId: string;
  /** Settles the waiter's promise; false once it gave up (deadline) or was admitted. */
  settle: (admission: Admission) => void;
  waiting: boolean;
  deadline?: NodeJS.Timeout;
}

interface SignatureState {
  running: Set<string>;
  /** First come first served; waiters whose deadline passed are dropped lazily. */
  waiting: Waiter[];
  stillWaiting: number;
  remedy?: { remedy: Remedy; until: number };
}

export class HealingAdmission {
  private readonly perSignature: number;
  private readonly total: number;
  private readonly signatures = new Map<string, SignatureState>();
  private running = 0;

  constructor(limits: AdmissionLimits = {}) {
    this.perSignature = Math.max(1, limits.perSignature ?? 50);
    this.total = Math.max(1, limits.total ?? 500);
  }

  /**
   * Resolves once `workflowId` may run (with its release function), or a run of its signature
   * found a remedy, or undefined when `waitMs` passes first (0: only if there is room now).
   */
  acquire(signature: string, workflowId: string, waitMs: number): Promise<Admission> {
    const admitted = this.tryAcquire(signature, workflowId);
    if (admitted) return Promise.resolve({ release: admitted });
    const state = this.stateOf(signature);
    if (state.remedy && state.remedy.until > Date.now()) return Promise.resolve({ remedy: state.remedy.remedy });
    if (waitMs <= 0) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter: Waiter = { workflowId, waiting: true, settle: resolve };
      state.waiting.push(waiter);
      state.stillWaiting++;
      waiter.deadline = setTimeout(() => {
        waiter.waiting = false;
        resolve(undefined);
        if (--state.stillWaiting === 0) state.waiting.length = 0;
        this.forgetIfIdle(signature, state);
      }, waitMs);
      waiter.deadline.unref();
    });
  }

  /** A release function when `workflowId` may run now (nobody of its signature waits, there is room); else undefined. */
  tryAcquire(signature: string, workflowId: string): (() => void) | undefined {
    const state = this.stateOf(signature);
    while (state.waiting[0] && !state.waiting[0].waiting) state.waiting.shift();
    if (state.waiting.length === 0 && this.hasRoom(state)) return this.admit(signature, state, workflowId);
    this.forgetIfIdle(signature, state);
    return undefined;
  }

  /** A run of `signature` healed its call with `remedy`: every call waiting for a run applies it instead. */
  remedyFound(signature: string, remedy: Remedy): void {
    const state = this.signatures.get(signature);
    if (!state) return;
    state.remedy = { remedy, until: Date.now() + REMEDY_TTL_MS };
    for (const waiter of state.waiting.splice(0)) {
      if (!waiter.waiting) continue;
      waiter.waiting = false;
      clearTimeout(waiter.deadline);
      waiter.settle({ remedy });
    }
    state.stillWaiting = 0;
  }

  /** One of this signature's runs in flight (the one a failure that gets no run is told about). */
  runningFor(signature: string): string | undefined {
    const running = this.signatures.get(signature)?.running;
    return running && running.size > 0 ? running.values().next().value : undefined;
  }

  private stateOf(signature: string): SignatureState {
    let state = this.signatures.get(signature);
    if (!state) {
      state = { running: new Set(), waiting: [], stillWaiting: 0 };
      this.signatures.set(signature, state);
    }
    return state;
  }

  private hasRoom(state: SignatureState): boolean {
    return state.running.size < this.perSignature && this.running < this.total;
  }

  private admit(signature: string, state: SignatureState, workflowId: string): () => void {
    state.running.add(workflowId);
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      state.running.delete(workflowId);
      this.running--;
      this.wakeWaiters(signature);
    };
  }

  /** Gives freed room to this signature's next waiter, else to any signature's. */
  private wakeWaiters(releasedSignature: string): void {
    const order = [
      releasedSignature,
      ...[...this.signatures.keys()].filter((signature) => signature !== releasedSignature),
    ];
    for (const signature of order) {
      if (this.running >= this.total) return;
      const state = this.signatures.get(signature)!;
      while (state.waiting.length > 0 && this.hasRoom(state)) {
        const waiter = state.waiting.shift()!;
        if (!waiter.waiting) continue; // its deadline passed
        waiter.waiting = false;
        state.stillWaiting--;
        clearTimeout(waiter.deadline);
        waiter.settle({ release: this.admit(signature, state, waiter.workflowId) });
      }
      this.forgetIfIdle(signature, state);
    }
  }

  private forgetIfIdle(signature: string, state: SignatureState): void {
    if (state.running.size === 0 && state.waiting.length === 0) this.signatures.delete(signature);
  }
}
