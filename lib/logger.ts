import { pino, type DestinationStream } from 'pino';
import { build as prettyStream } from 'pino-pretty';

/** A person at a terminal reads lines; anything else (a file, a log collector) gets one JSON object per line. */
function destination(): DestinationStream {
  if (!process.stderr.isTTY) return pino.destination(2);
  return prettyStream({ destination: 2, sync: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss' });
}

/** Logs on stderr; values are sanitised by callers before they get here. */
export const logger = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service: 'self-healing' },
    redact: { paths: ['*.password', '*.token', '*.apiKey', '*.authorization'], censor: '[REDACTED]' },
  },
  destination(),
);
