import { pino } from 'pino';

/** Structured JSON logs on stderr; values are sanitised by callers before they get here. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'self-healing' },
  redact: { paths: ['*.password', '*.token', '*.apiKey', '*.authorization'], censor: '[REDACTED]' },
}, pino.destination(2));
