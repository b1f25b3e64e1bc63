// Analysis: learned pattern first (no LLM call), then the LLM, then deterministic rules.
// Concurrent occurrences of one signature share a single analysis (storm control).
import { diagnoseByRules } from '../common/rules.js';
import type { OperationPolicy } from '../common/strategies.js';
import { STRATEGIES, type Diagnosis, type ErrorReport, type Strategy } from '../common/types.js';
import type { AnalysisCache } from './analysis-cache.js';
import { getHealingPatterns, type Database, type HealingPatternRow } from '../db/index.js';

export interface AnalyseErrorInput {
  operation: string;
  signature: string;
  error: ErrorReport;
  policy: OperationPolicy;
  /** Sanitised application context (the diagnoser bounds it again). */
  context?: Record<string, unknown>;
}

export interface LearnedStrategy {
  strategy: Strategy;
  confidence: number;
  successCount: number;
  failureCount: number;
}

export interface AnalysisResult {
  diagnosis: Diagnosis;
  learned: LearnedStrategy[];
}

/** What a language model is told about an error: sanitised facts only. */
export interface LlmDiagnosisRequest {
  operation: string;
  signature: string;
  error: ErrorReport;
  policy: OperationPolicy;
  learned: LearnedStrategy[];
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

function toLearned(row: HealingPatternRow): LearnedStrategy {
  return {
    strategy: row.strategy as Strategy,
    confidence: row.confidence,
    successCount: row.successCount,
    failureCount: row.failureCount,
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

export function createAnalysisActivities(db: Database, cache: AnalysisCache<AnalysisResult>, options: AnalysisOptions = {}) {
  const threshold = options.patternConfidenceThreshold ?? DEFAULT_PATTERN_CONFIDENCE;

  async function analyse(input: AnalyseErrorInput): Promise<AnalysisResult> {
    const patterns = await getHealingPatterns(db, { signature: input.signature });
    const learned = patterns.map(toLearned);
    const fromPattern = patterns[0] && diagnosisFromPattern(patterns[0], threshold);
    if (fromPattern) return { diagnosis: fromPattern, learned };
    const fromLlm = await options.llm?.({ ...input, learned }).catch(() => undefined);
    if (fromLlm) return { diagnosis: fromLlm, learned };
    const rulesContext = {
      operation: input.operation,
      critical: input.policy.critical,
      allowedStrategies: input.policy.allowedStrategies ?? [...STRATEGIES],
      policy: input.policy,
    };
    return { diagnosis: diagnoseByRules(input.error, rulesContext), learned };
  }

  return {
    async analyseError(input: AnalyseErrorInput): Promise<AnalysisResult> {
      // The signature includes the operation, whose allowed strategies shape the answer.
      return cache.share(input.signature, () => analyse(input));
    },
  };
}
