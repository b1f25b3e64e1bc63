// Admission for healing runs (storm control on the application side): at most `perSignature`
// runs of one fault and `total` runs in all are in flight from this process. A failure beyond
// that waits, first come first served, for a run of its signature to finish, until its caller's
// deadline; one that gets no run is recorded by the occurrence log instead. This keeps a storm
// from queueing thousands of runs (and long-polls) on the Temporal server.

export interface AdmissionLimits {
  /** Healing runs of one error signature in flight at once. Default 50. */
  perSignature?: number;
  /** Healing runs in flight at once from this process. Default 500. */
  total?: number;
}

interface Waiter {
  workflowId: string;
  /** Settles the waiter's promise; false once it gave up (deadline) or was admitted. */
  settle: (release: (() => void) | undefined) => void;
  waiting: boolean;
  deadline?: NodeJS.Timeout;
}

interface SignatureState {
  running: Set<string>;
  /** First come first served; waiters whose deadline passed are dropped lazily. */
  waiting: Waiter[];
  stillWaiting: number;
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
   * Resolves with a release function once `workflowId` may run, or undefined when `waitMs`
   * passes first (0: only if there is room now).
   */
  acquire(signature: string, workflowId: string, waitMs: number): Promise<(() => void) | undefined> {
    const admitted = this.tryAcquire(signature, workflowId);
    if (admitted || waitMs <= 0) return Promise.resolve(admitted);
    const state = this.stateOf(signature);
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
    const order = [releasedSignature, ...[...this.signatures.keys()].filter((signature) => signature !== releasedSignature)];
    for (const signature of order) {
      if (this.running >= this.total) return;
      const state = this.signatures.get(signature)!;
      while (state.waiting.length > 0 && this.hasRoom(state)) {
        const waiter = state.waiting.shift()!;
        if (!waiter.waiting) continue; // its deadline passed
        waiter.waiting = false;
        state.stillWaiting--;
        clearTimeout(waiter.deadline);
        waiter.settle(this.admit(signature, state, waiter.workflowId));
      }
      this.forgetIfIdle(signature, state);
    }
  }

  private forgetIfIdle(signature: string, state: SignatureState): void {
    if (state.running.size === 0 && state.waiting.length === 0) this.signatures.delete(signature);
  }
}
