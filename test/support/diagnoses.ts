// The diagnosis the database and dashboard tests store: a transient network fault.
import type { Diagnosis } from '../../common/types.js';

export function networkDiagnosis(overrides: Partial<Diagnosis> = {}): Diagnosis {
  return {
    category: 'network',
    severity: 'high',
    transient: true,
    rootCause: 'upstream reset the connection',
    recommendedStrategy: 'RETRY_WITH_BACKOFF',
    fallbackStrategies: [],
    confidence: 0.9,
    explanation: 'ECONNRESET is transient',
    source: 'rules',
    ...overrides,
  };
}
