// The central worker's activities, built from their dependencies.
import type { Database } from '../db/index.js';
import { createAnalysisActivities, type AnalysisOptions } from './analysis.js';
import { createAuditActivities } from './audit.js';
import { createLearningActivities } from './learning.js';
import { createNotificationActivities } from './notifications.js';

export interface ActivityDependencies {
  db: Database;
  analysis?: AnalysisOptions;
}

export function createActivities(deps: ActivityDependencies) {
  return {
    ...createAuditActivities(deps.db),
    ...createAnalysisActivities(deps.db, deps.analysis),
    ...createLearningActivities(deps.db),
    ...createNotificationActivities(),
  };
}

export type SelfHealingActivities = ReturnType<typeof createActivities>;
