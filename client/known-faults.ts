// What the central system told this process about the faults it has seen healed or failed lately
// (CallerOutcome.known): the next run of the same signature carries it (HealingInput.known) and
// plans at once, without an analysis before its first strategy. Each answer refreshes it from the
// database (after that run's learning); an entry older than the TTL is dropped, so a fault seen
// only rarely is analysed afresh. Bounded: the oldest signature goes first.
import type { KnownFault } from '../common/healing-contract.js';

const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_MAX_SIGNATURES = 1_000;

export class KnownFaults {
  private readonly entries = new Map<string, { known: KnownFault; expiresAt: number }>();

  constructor(
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly maxSignatures = DEFAULT_MAX_SIGNATURES,
  ) {}

  /** The fault known for `signature`, unless none was told or it expired. */
  get(signature: string): KnownFault | undefined {
    const entry = this.entries.get(signature);
    if (entry && entry.expiresAt > Date.now()) return entry.known;
    if (entry) this.entries.delete(signature);
    return undefined;
  }

  /** Keeps what a run told (the latest answer wins). */
  remember(signature: string, known: KnownFault): void {
    this.entries.delete(signature);
    this.entries.set(signature, { known, expiresAt: Date.now() + this.ttlMs });
    if (this.entries.size > this.maxSignatures) this.entries.delete(this.entries.keys().next().value!);
  }
}
