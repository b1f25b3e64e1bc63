// What the Temporal UI shows of a healing run while it runs and once it has closed (the workflow's
// "current details", Markdown): its phase, diagnosis, strategy and outcome. Set at each phase
// change from the run's state; no event, no activity.
import { setCurrentDetails } from '@temporalio/workflow';
import type { HealingState } from '../common/healing-contract.js';

export function showDetails(state: HealingState): void {
  const lines = [`**Phase:** ${state.phase}${state.result === 'pending' ? '' : ` · **outcome:** ${state.result}`}`];
  const { diagnosis } = state;
  if (diagnosis) {
    const transient = diagnosis.transient ? 'transient' : 'permanent';
    lines.push(`**Diagnosis:** ${diagnosis.category}, ${diagnosis.severity}, ${transient} (${diagnosis.source})`);
  }
  if (state.plan.length) {
    const current = state.currentStrategy ? ` · **now:** ${state.currentStrategy}` : '';
    lines.push(
      `**Plan:** ${state.plan.join(' → ')}${state.explored ? ` (exploring ${state.explored})` : ''}${current}`,
    );
  }
  if (state.attempts.length) {
    lines.push(`**Attempts:** ${state.attempts.map((attempt) => `${attempt.strategy} ${attempt.result}`).join(', ')}`);
  }
  if (state.nextRunAt) lines.push(`**Next run:** ${state.nextRunAt}`);
  setCurrentDetails(lines.join('\n\n'));
}
