// Readable workflow ids for the Temporal UI: what failed, which fault, and (for a healing run) which occurrence.
import { randomUUID } from 'node:crypto';
import { shortSignature } from '../common/signature.js';

/** One healing run per occurrence: `heal-<operation>-<short signature>-<unique suffix>`. */
export function healingWorkflowId(operation: string, signature: string): string {
  return `heal-${slug(operation)}-${shortSignature(signature)}-${randomUUID().slice(0, 8)}`;
}

/** One occurrence log per signature: `occurrences-<operation>-<short signature>`. */
export function occurrenceLogWorkflowId(operation: string, signature: string): string {
  return `occurrences-${slug(operation)}-${shortSignature(signature)}`;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60) || 'operation';
}
