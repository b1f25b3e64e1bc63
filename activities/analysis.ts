// Analysis: learned pattern first (no LLM call), then the LLM, then deterministic rules.
// A signature is diagnosed once: later occurrences reuse the stored diagnosis (healing_patterns)
// with what has been learned since, and concurrent ones share one lookup (storm control).
import { classifyError, diagnoseByRules, SPECIFIC_CONFIDENCE } from '../common/rules.js';
import type { OperationPolicy } from '../common/strategies/index.js';
import type { LearnedStrategyStats } from '../common/strategies/planner.js';
import type { KnownFault } from '../common/healing-contract.js';
import type { Diagnosis, ErrorReport, Strategy } from '../common/types.js';
import type { AnalysisCaches } from './analysis-cache.js';
import { getHealingPatterns, type Database, type HealingPatternRow } from '../db/index.js';

export interface AnalyseErrorInput {
  operation: string;
  signature: string;
  error: ErrorReport;
  policy: OperationPolicy;
  /** Sanitised application context (the diagnoser bounds it again). */
  context?: Record<string, unknown>;
}

/** A diagnosis and what has been learned about its signature. */
export type AnalysisResult = KnownFault;

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
}

const DEFAULT_PATTERN_CONFIDENCE = 0.6;

function toLearned(row: HealingPatternRow): LearnedStrategyStats {
  return {
    strategy: row.strategy as Strategy,
    confidence: row.confidence,
    successCount: row.successCount,
    failureCount: row.failureCount,
    consecutiveFailures: row.consecutiveFailures,
    avgHealingMs: row.avgHealingMs,
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
    explanation: `Learned: ${best.strategy} healed this fault ${best.successCount} of ${best.successCount + best.failureCount} times.`,
  };
}

/**
 * A diagnosis stored with the learned outcomes of this signature, reused without asking the LLM:
 * the planner orders strategies by what has been learned. One the rules made (the LLM was down
 * or out of budget) is not reused, so the LLM gets another chance once the shared one expires.
 */
function storedDiagnosis(patterns: HealingPatternRow[]): Diagnosis | undefined {
  const stored = patterns.map((row) => row.diagnosis as Diagnosis | null).find((diagnosis) => diagnosis && diagnosis.source !== 'rules');
  if (!stored) return undefined;
  return { ...stored, source: 'pattern', explanation: `Diagnosed before (no strategy has healed it reliably yet): ${stored.explanation}` };
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
  return async (signature: string): Promise<KnownFault | undefined> => fromPatterns(await patternsOf(db, caches, signature), threshold);
}

export function createAnalysisActivities(db: Database, caches: AnalysisCaches, options: AnalysisOptions = {}) {
  const threshold = options.patternConfidenceThreshold ?? DEFAULT_PATTERN_CONFIDENCE;

  async function diagnoseAfresh(input: AnalyseErrorInput, learned: LearnedStrategyStats[]): Promise<Diagnosis> {
    const rules = diagnoseByRules(input.error, { operation: input.operation, policy: input.policy });
    const fromLlm = await options.llm?.({ ...input, learned }).catch(() => undefined);
    if (!fromLlm) return rules;
    return keepPermanence(fromLlm, rules, classifyError(input.error, input.operation).confidence >= SPECIFIC_CONFIDENCE);
  }

  return {
    // The signature includes the operation, whose allowed strategies shape the answer.
    async analyseError(input: AnalyseErrorInput): Promise<AnalysisResult> {
      const patterns = await patternsOf(db, caches, input.signature);
      const known = fromPatterns(patterns, threshold);
      if (known) return known;
      const learned = patterns.map(toLearned);
      const diagnosis = await caches.diagnoses.share(input.signature, () => diagnoseAfresh(input, learned));
      return { diagnosis, learned };
    },
  };
}
