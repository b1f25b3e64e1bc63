// The answer to the caller waiting in withSelfHealing (a workflow update): given once, as soon as
// the run knows it, and kept to the caller's deadline.
import { CancellationScope, condition, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { callerOutcomeUpdate, type CallerOutcome } from '../common/healing-contract.js';

export class CallerAnswer {
  private outcome: CallerOutcome | undefined;
  private waiting = 0;
  /** An answer was given to a waiting caller in this workflow task and has yet to leave. */
  private pending = false;
  private readonly deadline: number;

  /** `waitMs`: how long the caller waits from the run's start (undefined: nobody waits). */
  constructor(waitMs: number | undefined) {
    this.deadline = waitMs === undefined ? Infinity : workflowInfo().runStartTime.getTime() + waitMs;
    setHandler(callerOutcomeUpdate, async () => {
      this.waiting++;
      await condition(() => this.outcome !== undefined);
      this.waiting--;
      return this.outcome!;
    });
  }

  /** The first answer counts; later ones are ignored. */
  tell(outcome: CallerOutcome): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.pending = this.waiting > 0;
  }

  get answered(): CallerOutcome | undefined {
    return this.outcome;
  }

  /**
   * Milliseconds left before the caller's deadline: Infinity when nobody waits or the caller was
   * told its call is queued (the operation may then run later), 0 once it was told anything else.
   */
  remainingMs(): number {
    if (this.outcome?.status === 'queued') return Infinity;
    if (this.outcome !== undefined) return 0;
    return Math.max(0, this.deadline - Date.now());
  }

  /**
   * Ends this workflow task if it has just answered a waiting caller, so that the answer leaves at
   * once instead of after the local activities that follow (a 1 ms durable timer).
   */
  async flush(): Promise<void> {
    if (!this.pending) return;
    this.pending = false;
    await CancellationScope.nonCancellable(() => sleep(1));
  }
}
