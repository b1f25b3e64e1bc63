// Analysis: learned pattern first (no LLM call), then the LLM, then deterministic rules.
// A signature is diagnosed once: later occurrences reuse the stored diagnosis (healing_patterns)
// with what has been learned since, and concurrent ones share one lookup (storm control).
// Each occurrence is also checked against the signature's latest heal (db/heal-watches.ts): a
// fault that keeps coming back after it was healed is a recurring one.
import { classifyError, diagnoseByRules, SPECIFIC_CONFIDENCE } from '../common/rules.js';
import type { OperationPolicy } from '../common/strategies/index.js';
import type { LearnedStrategyStats } from '../common/strategies/planner.js';
import type { KnownFault } from '../common/healing-contract.js';
import { SEVERITIES, type Diagnosis, type ErrorReport, type Severity, type Strategy } from '../common/types.js';
import type { AnalysisCaches } from './analysis-cache.js';
import {
  checkRecurrence,
  getHealingPatterns,
  getHealWatch,
  type Database,
  type HealingPatternRow,
  type Recurrence,
} from '../db/index.js';

export interface AnalyseErrorInput {
  /** The run analysing: at most one run alerts for a recurring fault's episode. */
  workflowId: string;
  operation: string;
  signature: string;
  /** When the occurrence was detected (ISO): after a watched heal, inside its window, it is a recurrence. */
  detectedAt: string;
  error: ErrorReport;
  policy: OperationPolicy;
  /** Sanitised application context (the diagnoser bounds it again). */
  context?: Record<string, unknown>;
}

/** A diagnosis and what has been learned about its signature, with a recurrence when its heals do not hold. */
export interface AnalysisResult extends KnownFault {
  /** The signature's latest heal(s) did not hold (absent in runs recorded before heals were checked). */
  recurrence?: RecurringFault;
}

/** An open episode of a recurring fault, with the record of the strategy whose heal did not hold. */
export interface RecurringFault extends Recurrence {
  /** Heals by `healedBy` of this signature so far, and how many of them held. */
  heals: number;
  held: number;
}

/** What a language model is told about an error: sanitised facts only. */
export interface LlmDiagnosisRequest {
  operation: string;
  signature: string;
  error: ErrorReport;
  policy: OperationPolicy;
  learned: LearnedStrategyStats[];
  /** Application context, when the caller has it: sanitised again and bounded before use. */
  context?: Record<string, unknown>;
}

/** Asks a language model; resolves undefined when it cannot give a usable, allowed answer. */
export type LlmDiagnoser = (request: LlmDiagnosisRequest) => Promise<Diagnosis | undefined>;

export interface AnalysisOptions {
  llm?: LlmDiagnoser;
  /** A learned strategy at least this confident decides without asking the LLM. */
  patternConfidenceThreshold?: number;
  /** How heals are checked (db/heal-watches.ts). */
  recurrence?: RecurrenceOptions;
}

export interface RecurrenceOptions {
  /** How long after a heal the same fault is a recurrence, unless the operation's policy says. Default 10 min. */
  windowMs?: number;
  /** Heals in a row that did not hold before the severity is raised, the cause addressed first and admins alerted. Default 1. */
  escalateAfter?: number;
}

const DEFAULT_PATTERN_CONFIDENCE = 0.6;
export const DEFAULT_RECURRENCE_WINDOW_MS = 10 * 60_000;
/** A recurring fault is at least this severe. */
const RECURRING_SEVERITY: Severity = 'high';

function toLearned(row: HealingPatternRow): LearnedStrategyStats {
  return {
    strategy: row.strategy as Strategy,
    confidence: row.confidence,
    successCount: row.successCount,
    failureCount: row.failureCount,
    consecutiveFailures: row.consecutiveFailures,
    avgHealingMs: row.avgHealingMs,
    recurrences: row.recurrences,
  };
}

function diagnosisFromPattern(best: HealingPatternRow, threshold: number): Diagnosis | undefined {
  const stored = best.diagnosis as Diagnosis | null;
  if (!stored || best.confidence < threshold) return undefined;
  return {
    ...stored,
    recommendedStrategy: best.strategy as Strategy,
    confidence: best.confidence,
    source: 'pattern',
    explanation: `Learned: ${best.strategy} healed this fault ${best.successCount} of ${best.successCount + best.failureCount} times${
      best.recurrences > 0 ? ` (${best.recurrences} of these heals did not hold)` : ''
    }.`,
  };
}

/**
 * A diagnosis stored with the learned outcomes of this signature, reused without asking the LLM:
 * the planner orders strategies by what has been learned. One the rules made (the LLM was down
 * or out of budget) is not reused, so the LLM gets another chance once the shared one expires.
 */
function storedDiagnosis(patterns: HealingPatternRow[]): Diagnosis | undefined {
  const stored = patterns
    .map((row) => row.diagnosis as Diagnosis | null)
    .find((diagnosis) => diagnosis && diagnosis.source !== 'rules');
  if (!stored) return undefined;
  return {
    ...stored,
    source: 'pattern',
    explanation: `Diagnosed before (no strategy has healed it reliably yet): ${stored.explanation}`,
  };
}

/**
 * An error the rules recognise as permanent (an HTTP 4xx, a constraint, a programming error…)
 * stays permanent whatever the model says: a permanent error must reach its caller as itself,
 * never re-run and never turned into a degraded answer.
 */
function keepPermanence(fromLlm: Diagnosis, rules: Diagnosis, rulesAreSure: boolean): Diagnosis {
  if (rules.transient || !fromLlm.transient || !rulesAreSure) return fromLlm;
  return {
    ...rules,
    rootCause: fromLlm.rootCause,
    explanation: `${rules.explanation} (The model took it for ${fromLlm.category}, transient; the rules' permanent verdict stands.)`,
    source: 'llm',
  };
}

/**
 * At least RECURRING_SEVERITY. The run's diagnosis is what learning stores for the signature, so
 * the raised severity stays with it.
 */
function asRecurring(diagnosis: Diagnosis): Diagnosis {
  const severity =
    SEVERITIES[Math.max(SEVERITIES.indexOf(diagnosis.severity), SEVERITIES.indexOf(RECURRING_SEVERITY))]!;
  return { ...diagnosis, severity };
}

function recurringFault(recurrence: Recurrence, patterns: HealingPatternRow[]): RecurringFault {
  const record = patterns.find((row) => row.strategy === recurrence.healedBy);
  const heals = record?.successCount ?? 0;
  return { ...recurrence, heals, held: Math.max(0, heals - (record?.recurrences ?? 0)) };
}

/** The application's setting when it is a usable duration, else the worker's. */
function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** A signature's learned patterns, one lookup shared by concurrent runs (storm control). */
function patternsOf(db: Database, caches: AnalysisCaches, signature: string): Promise<HealingPatternRow[]> {
  return caches.patterns.share(signature, () => getHealingPatterns(db, { signature }));
}

/** What a signature's patterns answer without the LLM: a learned or a stored diagnosis. */
function fromPatterns(patterns: HealingPatternRow[], threshold: number): KnownFault | undefined {
  const known = (patterns[0] && diagnosisFromPattern(patterns[0], threshold)) ?? storedDiagnosis(patterns);
  return known && { diagnosis: known, learned: patterns.map(toLearned) };
}

/**
 * Reads a signature's known fault (as analyseError would answer it without the LLM), or undefined
 * when its patterns do not decide: the outcome record hands it back to the caller after learning.
 */
export function knownFaultReader(db: Database, caches: AnalysisCaches, options: AnalysisOptions = {}) {
  const threshold = options.patternConfidenceThreshold ?? DEFAULT_PATTERN_CONFIDENCE;
  const windowMs = options.recurrence?.windowMs ?? DEFAULT_RECURRENCE_WINDOW_MS;
  return async (signature: string): Promise<KnownFault | undefined> => {
    const [patterns, watch] = await Promise.all([patternsOf(db, caches, signature), getHealWatch(db, signature)]);
    // A recurring fault's runs are analysed: each is checked against its episode (db/heal-watches.ts).
    if (watch && watch.episodeRecurrences > 0) return undefined;
    const known = fromPatterns(patterns, threshold);
    // A heal not yet proved or disproved: occurrences inside its window are analysed, so they are checked.
    const unsettled = watch && watch.recurredAt === null;
    return known && unsettled ? { ...known, watch: { healedAt: watch.healedAt.toISOString(), windowMs } } : known;
  };
}

export function createAnalysisActivities(db: Database, caches: AnalysisCaches, options: AnalysisOptions = {}) {
  const threshold = options.patternConfidenceThreshold ?? DEFAULT_PATTERN_CONFIDENCE;

  async function diagnoseAfresh(input: AnalyseErrorInput, learned: LearnedStrategyStats[]): Promise<Diagnosis> {
    const rules = diagnoseByRules(input.error, { operation: input.operation, policy: input.policy });
    const fromLlm = await options.llm?.({ ...input, learned }).catch(() => undefined);
    if (!fromLlm) return rules;
    return keepPermanence(
      fromLlm,
      rules,
      classifyError(input.error, input.operation).confidence >= SPECIFIC_CONFIDENCE,
    );
  }

  return {
    // The signature includes the operation, whose allowed strategies shape the answer.
    async analyseError(input: AnalyseErrorInput): Promise<AnalysisResult> {
      const [checked, shared] = await Promise.all([
        checkRecurrence(db, {
          signature: input.signature,
          run: input.workflowId,
          detectedAt: input.detectedAt,
          windowMs: positiveOr(
            input.policy.recurrenceWindowMs,
            options.recurrence?.windowMs ?? DEFAULT_RECURRENCE_WINDOW_MS,
          ),
          escalateAfter: options.recurrence?.escalateAfter ?? 1,
        }),
        patternsOf(db, caches, input.signature),
      ]);
      // A counted recurrence lowered a strategy's confidence: this run and the next see it.
      if (checked.counted) caches.patterns.forget(input.signature);
      const patterns = checked.counted ? await patternsOf(db, caches, input.signature) : shared;
      const learned = patterns.map(toLearned);
      const recurrence = checked.recurrence && recurringFault(checked.recurrence, patterns);
      const diagnosis =
        fromPatterns(patterns, threshold)?.diagnosis ??
        (await caches.diagnoses.share(input.signature, () => diagnoseAfresh(input, learned)));
      if (!recurrence) return { diagnosis, learned };
      return { diagnosis: recurrence.escalated ? asRecurring(diagnosis) : diagnosis, learned, recurrence };
    },
  };
}
