// The occurrence log's one activity: record a batch of occurrences that had no healing run of their own.
import { recordJoinedOccurrences, type Database, type JoinedOccurrenceBatch } from '../db/index.js';

export function createOccurrenceLogActivities(db: Database) {
  return {
    async recordJoinedOccurrences(batch: JoinedOccurrenceBatch): Promise<number> {
      return recordJoinedOccurrences(db, batch);
    },
  };
}
