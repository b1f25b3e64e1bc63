// Registers the custom search attributes on a server that does not know them yet (an existing
// dev server, the time-skipping test server, a cluster where we have operator rights).
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto'; // CommonJS: Node's ESM loader sees only its default export
import { CUSTOM_SEARCH_ATTRIBUTES } from '../common/search-attributes.js';

type OperatorConnection = Pick<Connection, 'operatorService'>;
const { temporal } = proto;
const { IndexedValueType } = temporal.api.enums.v1;
const INDEXED_TYPE: Record<string, proto.temporal.api.enums.v1.IndexedValueType> = {
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
};

async function knownSearchAttributes(connection: OperatorConnection, namespace: string): Promise<Set<string>> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    return new Set(Object.keys(existing.customAttributes ?? {}));
  } catch {
    return new Set(); // the time-skipping server cannot list them, but can add them
  }
}

export async function registerSearchAttributes(connection: OperatorConnection, namespace: string): Promise<void> {
  const known = await knownSearchAttributes(connection, namespace);
  const missing = CUSTOM_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type]!])),
  });
}
