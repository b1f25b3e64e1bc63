// The answer to the caller waiting in withSelfHealing (a workflow update): given once, as soon as
// the run knows it, and kept to the caller's deadline. The update completes with the workflow task
// in which the answer was given (after that task's local activities, see healing-records.ts).
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { callerOutcomeUpdate, type CallerOutcome } from '../common/healing-contract.js';

export class CallerAnswer {
  private outcome: CallerOutcome | undefined;
  private readonly deadline: number;

  /** `waitMs`: how long the caller waits from the run's start (undefined: nobody waits). */
  constructor(waitMs: number | undefined) {
    this.deadline = waitMs === undefined ? Infinity : workflowInfo().runStartTime.getTime() + waitMs;
    setHandler(callerOutcomeUpdate, async () => {
      await condition(() => this.outcome !== undefined);
      return this.outcome!;
    });
  }

  /** The first answer counts; later ones are ignored. */
  tell(outcome: CallerOutcome): void {
    if (this.outcome === undefined) this.outcome = outcome;
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
}
