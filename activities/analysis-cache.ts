// Storm control for analysis: one lookup per error signature is shared by every occurrence that
// arrives while it runs and for a while after (the TTL). Two are kept per signature (see
// activities/index.ts): the learned patterns, dropped whenever something new is learned, and the
// diagnosis, kept for its TTL whatever is learned, so a storm never asks the LLM twice.
import type { Diagnosis } from '../common/types.js';
import type { HealingPatternRow } from '../db/index.js';

export class AnalysisCache<T> {
  private readonly entries = new Map<string, { promise: Promise<T>; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  /** Runs `work` unless a lookup for `signature` is running or fresh; failures are not kept. */
  share(signature: string, work: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(signature);
    if (entry && entry.expiresAt > Date.now()) return entry.promise;
    const fresh = { promise: work(), expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(signature, fresh);
    const forget = () => this.entries.get(signature) === fresh && this.entries.delete(signature);
    fresh.promise.then(() => {
      fresh.expiresAt = Date.now() + this.ttlMs;
      setTimeout(forget, this.ttlMs).unref();
    }, forget);
    return fresh.promise;
  }

  forget(signature: string): void {
    this.entries.delete(signature);
  }
}

/** The two shared lookups behind an analysis (see above). */
export interface AnalysisCaches {
  patterns: AnalysisCache<HealingPatternRow[]>;
  diagnoses: AnalysisCache<Diagnosis>;
}

/** Patterns are shared briefly (learning drops them anyway); a diagnosis for ten minutes. */
export function createAnalysisCaches(ttl = { patternsMs: 30_000, diagnosesMs: 10 * 60_000 }): AnalysisCaches {
  return { patterns: new AnalysisCache(ttl.patternsMs), diagnoses: new AnalysisCache(ttl.diagnosesMs) };
}
