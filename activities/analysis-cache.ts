// Storm control for analysis: one analysis per error signature is shared by every occurrence
// that arrives while it runs and for a short while after; learning something new about the
// signature ends the sharing, so the next occurrence sees the learned pattern.

export class AnalysisCache<T> {
  private readonly entries = new Map<string, { promise: Promise<T>; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  /** Runs `work` unless an analysis of `signature` is running or fresh; failures are not kept. */
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
