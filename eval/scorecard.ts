// The eval's report: the scorecard (each figure beside its target), the per-scenario table and
// the list of what the system missed, as Markdown (printed and written to eval/results.md).
import { fmt, table, verdict } from '../bench/lib/stats.js';
import type { LearningResult } from './learning.js';
import type { ScenarioResult } from './scenarios.js';
import type { StormResult } from './storm.js';

export interface EvalReport {
  startedAt: Date;
  mode: string;
  /** The commit measured (and whether the tree had changes on top of it). */
  revision: string;
  /** Timings depend on it: cores and 1-minute load averages at the start and the end. */
  machine: { cores: number; loadAtStart: number; loadAtEnd?: number };
  corpus?: ScenarioResult[];
  learning?: LearningResult;
  storm?: StormResult;
  /** Parts that could not be measured, with why. */
  broken: string[];
}

const ANSWERED = ['value', 'cached', 'default', 'skipped', 'other value'];

interface CorpusFigures {
  healedPct: number;
  healable: number;
  permanentRerun: number;
  permanent: number;
  silentDegradations: number;
  met: number;
}

function corpusFigures(results: ScenarioResult[]): CorpusFigures {
  const healable = results.filter((result) => result.scenario.kind === 'healable');
  const permanent = results.filter((result) => result.scenario.kind === 'permanent');
  const errorExpected = results.filter((result) => !ANSWERED.includes(result.scenario.expect.outcome));
  return {
    healable: healable.length,
    healedPct: percent(healable.filter((result) => result.got === 'value').length, healable.length),
    permanent: permanent.length,
    permanentRerun: permanent.filter((result) => result.reruns > 0).length,
    silentDegradations: errorExpected.filter((result) => ANSWERED.includes(result.got)).length,
    met: results.filter((result) => result.misses.length === 0).length,
  };
}

export function renderReport(report: EvalReport): string {
  const lines = [
    `# Effectiveness eval (issue 12): ${report.mode}`,
    '',
    `Run at ${report.startedAt.toISOString()} on ${report.revision}: \`npm run eval\` (eval/run.ts), ` +
      'against a Temporal dev server, the central worker, an application worker, a fresh PostgreSQL database, ' +
      'and fake OpenAI, Resend and Twilio servers. ' +
      `Machine: ${report.machine.cores} cores, load average ${fmt(report.machine.loadAtStart)} at the start ` +
      `and ${fmt(report.machine.loadAtEnd ?? Number.NaN)} at the end.`,
    '',
    '## Scorecard',
    '',
  ];
  lines.push(table(['Figure', 'Measured', 'Target', ''], scorecardRows(report)), '');
  if (report.broken.length) lines.push('## Not measured', '', ...report.broken.map((reason) => `- ${reason}`), '');
  if (report.corpus) lines.push(...corpusSection(report.corpus));
  if (report.learning) lines.push(...learningSection(report.learning));
  if (report.storm) lines.push(...stormSection(report.storm));
  return lines.join('\n');
}

function scorecardRows(report: EvalReport): string[][] {
  const rows: string[][] = [];
  const row = (figure: string, measured: string, target: string, ok: boolean | undefined) =>
    rows.push([figure, measured, target, ok === undefined ? '' : verdict(ok)]);
  if (report.corpus) {
    const figures = corpusFigures(report.corpus);
    row(
      'Healable faults healed (caller got the value)',
      `${fmt(figures.healedPct)} % of ${figures.healable}`,
      '≥ 95 %',
      figures.healedPct >= 95,
    );
    row(
      'Permanent errors re-run',
      `${figures.permanentRerun} of ${figures.permanent}`,
      '0',
      figures.permanentRerun === 0,
    );
    row(
      'Silent degradations (an answer where the error was expected)',
      String(figures.silentDegradations),
      '0',
      figures.silentDegradations === 0,
    );
    row(
      'Scenarios meeting every expectation',
      `${figures.met} of ${report.corpus.length}`,
      'all',
      figures.met === report.corpus.length,
    );
  }
  const learning = report.learning;
  if (learning) {
    row(
      `Occurrence from which the working strategy (${learning.working}) is tried first`,
      String(learning.firstTriedFirst ?? 'never'),
      '',
      undefined,
    );
    row(
      'Occurrences from the 3rd on that try it first',
      `${fmt(learning.triedFirstFrom3rdPct)} %`,
      '≥ 98 %',
      learning.triedFirstFrom3rdPct >= 98,
    );
    row(
      'Exploration cost (waiting in explored attempts / all waiting)',
      `${fmt(learning.explorationCostPct)} % (${learning.exploredAttempts} explored attempts)`,
      '≤ 5 %',
      learning.explorationCostPct <= 5,
    );
    row(
      'Occurrences until the plan moves on after the working strategy stops working',
      String(learning.occurrencesToMoveOn ?? 'never'),
      '≤ 3',
      (learning.occurrencesToMoveOn ?? Infinity) <= 3,
    );
  }
  const storm = report.storm;
  if (storm) {
    const healedPct = percent(storm.values, storm.callers);
    row(
      `Storm: callers that got their value (${storm.callers} concurrent)`,
      `${fmt(healedPct)} %`,
      '≥ 95 %',
      healedPct >= 95,
    );
    row(
      'Storm: every failure recorded with its real outcome',
      storm.recordedTruthfully ? 'yes' : 'no',
      'yes',
      storm.recordedTruthfully,
    );
    row('Storm: LLM calls', String(storm.llmCalls), '≤ 2', storm.llmCalls <= 2);
    row('Storm: alerts sent (e-mail + SMS)', String(storm.alerts), '≤ 1', storm.alerts <= 1);
  }
  return rows;
}

function corpusSection(results: ScenarioResult[]): string[] {
  const rows = results.map((result) => {
    const { expect } = result.scenario;
    return [
      result.misses.length ? '✗' : '✓',
      result.scenario.id,
      result.scenario.kind,
      `${expect.outcome} / ${expect.strategy} / ≤ ${expect.maxReruns}`,
      `${result.got} / ${result.strategy} / ${result.reruns}`,
      result.tried.join(' → ') || '–',
      `${fmt(result.waitedMs / 1000)} s`,
    ];
  });
  const failures = results.filter((result) => result.misses.length);
  return [
    `## Corpus: ${results.length} scenarios`,
    '',
    'Expected and got: caller outcome / deciding strategy / re-runs of the operation (its invocations − 1, ' +
      'counted by the operation itself; at most, for the expectation). Outcomes: value (the real value), ' +
      'cached (an earlier real value), default (the defaultValue), skipped (undefined), queued ' +
      '(OperationQueuedError), same error (the very object thrown, with healingWorkflowId). The deciding ' +
      'strategy is the one whose attempt answered the caller (healing_events.attempt_log), none when the ' +
      'caller got its error. Tried: the strategies in the order the run tried them. The rows are eval/corpus.ts.',
    '',
    table(['', 'Scenario', 'Kind', 'Expected', 'Got', 'Tried', 'Caller waited'], rows),
    '',
    `### Failures (${failures.length})`,
    '',
    ...(failures.length
      ? failures.map((result) => `- **${result.scenario.id}**: ${result.misses.join('; ')}`)
      : ['None.']),
    '',
  ];
}

function learningSection(learning: LearningResult): string[] {
  const phase = (n: 1 | 2) => learning.occurrences.filter((o) => o.phase === n);
  const firsts = (n: 1 | 2) =>
    phase(n)
      .map((o) => (o.tried[0] ?? '–').replace(/_.*/, '') + (o.explored ? '*' : '') + (o.healed ? '' : '✗'))
      .join(' ');
  const explored = (n: 1 | 2) => phase(n).reduce((sum, o) => sum + o.explored, 0);
  const { working, successor } = learning;
  return [
    '## Learning curve',
    '',
    `Phase 1 (${phase(1).length} occurrences): only ${working} works. ` +
      `Phase 2 (${phase(2).length}): it stops working and ${successor} starts to. ` +
      'First strategy tried per occurrence (*: explored, ✗: the caller got its error):',
    '',
    `- Phase 1: ${firsts(1)}`,
    `- Phase 2: ${firsts(2)}`,
    '',
    `Explored attempts: ${learning.exploredAttempts} (phase 1: ${explored(1)}, phase 2: ${explored(2)}). ` +
      'Waiting in failed attempts from the 3rd occurrence on: ' +
      `${fmt(learning.failedAttemptsCostPct)} % of all waiting. ` +
      `First phase-2 occurrence that tried ${successor} first: ${learning.successorTriedFirstAt ?? 'none'}.`,
    '',
  ];
}

function stormSection(storm: StormResult): string[] {
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([key, n]) => `${key} ${n}`)
      .join(', ') || 'none';
  return [
    '## Storm',
    '',
    `${storm.callers} concurrent callers of one operation, each failing once (ECONNRESET) and answering on a re-run.`,
    '',
    `- Callers: ${storm.values} got their value; errors by healingOutcome: ${list(storm.errors)}.`,
    `- healing_events by result: ${list(storm.recorded)}.`,
    `- LLM calls ${storm.llmCalls}, alerts ${storm.alerts}.`,
    `- The last caller was answered after ${fmt(storm.answeredSeconds)} s; ` +
      `the records settled after ${fmt(storm.settledSeconds)} s.`,
    '',
  ];
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (100 * part) / whole;
}
