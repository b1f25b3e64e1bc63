// Every health check the worker runs, in this order. A new check: one file in this folder, one line here.
import type { HealthCheckFactory } from '../check.js';
import { databaseCheck } from './database.js';
import { emailCheck } from './email.js';
import { errorRateCheck } from './error-rate.js';
import { fileServiceCheck } from './file-service.js';
import { httpChecks } from './http.js';
import { llmApiCheck } from './llm-api.js';
import { memoryCheck } from './memory.js';
import { smsCheck } from './sms.js';

export const HEALTH_CHECKS: readonly HealthCheckFactory[] = [
  llmApiCheck,
  databaseCheck,
  emailCheck,
  smsCheck,
  errorRateCheck,
  memoryCheck,
  fileServiceCheck,
  httpChecks,
];
