// The messages the admins get: an alert (or a reminder with the count), and a recovery notice.
// Everything from the run is bounded and masked here; `scrubbed` redacts what secretlint finds
// before anything is stored or leaves for a provider.
import { Context } from '@temporalio/activity';
import { sanitizeText } from '../../common/sanitize.js';
import { maskPii } from '../../common/secrets/pii.js';
import type { Severity } from '../../common/types.js';
import type { NotificationRow } from '../../db/schema.js';
import { scrubOutgoingText } from '../../lib/outgoing-text.js';
import type { RecurringFault } from '../analysis.js';
import type { NotificationSettings, NotifyAdminsInput, NotifyRecoveryInput } from './contract.js';

const SMS_LIMIT = 320;

export interface Message {
  subject: string;
  body: string;
  sms: string;
}

function runLink(settings: NotificationSettings, workflowId: string): string {
  const base = (settings.temporalUiUrl ?? 'http://127.0.0.1:8233').replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespaceOf(settings))}/workflows/${encodeURIComponent(workflowId)}`;
}

function namespaceOf(settings: NotificationSettings): string {
  if (settings.namespace) return settings.namespace;
  try {
    return Context.current().info.workflowNamespace || 'default';
  } catch {
    return 'default';
  }
}

/** Text from the run, bounded: personal data masked first, so the bound holds after masking. */
export const text = (value: unknown, limit: number) => sanitizeText(maskPii(String(value ?? '')), limit);

function outcomeHeadline(input: NotifyAdminsInput): string {
  if (input.recurrence)
    return `recurring despite healing (${input.recurrence.recurrences} heals in a row did not hold)`;
  switch (input.result) {
    case 'healed':
      return 'healed, but critical';
    case 'cancelled':
      return 'healing cancelled';
    case 'skipped':
      return input.diagnosis?.severity === 'critical' ? 'critical error' : 'skipped';
    default:
      return 'not healed';
  }
}

export function alertMessage(
  input: NotifyAdminsInput,
  settings: NotificationSettings,
  severity: Severity,
  reminder: { occurrences: number; since: Date } | undefined,
): Message {
  const operation = text(input.operation, 200);
  const link = runLink(settings, input.workflowId);
  const diagnosis = input.diagnosis;
  const headline = outcomeHeadline(input);
  const subject = reminder
    ? `[self-healing] Reminder: ${operation} still failing (${reminder.occurrences} occurrences)`
    : `[self-healing] ${severity.toUpperCase()} ${operation}: ${headline}`;
  const lines: string[] = [];
  if (reminder) {
    lines.push(
      `Reminder: "${operation}" is still failing: ${reminder.occurrences} occurrences of this error since the alert at ${reminder.since.toISOString()}. The latest one:`,
      '',
    );
  } else {
    lines.push(`Self-healing: "${operation}" — ${headline} (${input.result}).`, '');
  }
  if (input.recurrence) lines.push(...recurrenceLines(input.recurrence), '');
  lines.push(
    'What failed',
    `  Operation: ${operation}`,
    `  Error: ${text(input.errorMessage, 1_000)}`,
    `  Signature: ${text(input.signature, 64)}`,
    '',
  );
  if (diagnosis) {
    lines.push(
      `Diagnosis (by ${diagnosis.source}, confidence ${Math.round(diagnosis.confidence * 100)}%)`,
      `  ${diagnosis.category}, severity ${diagnosis.severity}, ${diagnosis.transient ? 'transient' : 'permanent'}`,
      `  Root cause: ${text(diagnosis.rootCause, 600)}`,
      `  Recommended: ${[diagnosis.recommendedStrategy, ...diagnosis.fallbackStrategies].join(', then ')}`,
      `  ${text(diagnosis.explanation, 1_000)}`,
      '',
    );
  } else {
    lines.push('Diagnosis', '  none (the run ended before the analysis)', '');
  }
  lines.push(
    'What was tried',
    `  ${input.strategiesTried.length ? input.strategiesTried.join(' → ') : 'nothing'}`,
    '',
    'Outcome',
    `  ${input.result}: ${text(input.reason, 1_000)}`,
    '',
    `Run in the Temporal UI: ${link}`,
  );
  const what = diagnosis ? text(diagnosis.rootCause, 120) : text(input.errorMessage, 120);
  const sms = reminder
    ? `[self-healing] ${operation} still failing: ${reminder.occurrences} occurrences. ${what} ${link}`
    : `[self-healing] ${severity.toUpperCase()} ${operation} ${headline}: ${what} ${link}`;
  return { subject, body: lines.join('\n'), sms: boundSms(sms, link) };
}

/** The counts behind "recurring despite healing". */
function recurrenceLines(recurrence: RecurringFault): string[] {
  const window = formatWindow(recurrence.windowMs);
  const held = recurrence.heals === 0 ? 0 : Math.round((recurrence.held / recurrence.heals) * 100);
  return [
    'Recurring despite healing',
    `  ${recurrence.recurrences} heal(s) in a row were followed by the same error within ${window}.`,
    `  The latest heal: ${recurrence.healedBy} at ${recurrence.healedAt}.`,
    `  ${recurrence.healedBy} healed this error ${recurrence.heals} time(s); ${recurrence.held} held (${held}%).`,
    '  Strategies that address the cause (another endpoint, a new connection, a cleared cache) now go first.',
  ];
}

function formatWindow(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

export function recoveryMessage(
  input: NotifyRecoveryInput,
  settings: NotificationSettings,
  alert: NotificationRow,
): Message {
  const operation = text(input.operation, 200);
  const link = runLink(settings, input.workflowId);
  const how = input.strategy ? ` by ${input.strategy}` : '';
  const subject = `[self-healing] Recovered: ${operation} healed${how}`;
  const body = [
    `Recovered: "${operation}" healed${how}.`,
    '',
    `This error (signature ${text(input.signature, 64)}) was alerted at ${alert.createdAt.toISOString()}: "${alert.subject}".`,
    `Run that healed: ${link}`,
    `Alerted run: ${runLink(settings, alert.workflowId)}`,
  ].join('\n');
  return { subject, body, sms: boundSms(`[self-healing] RECOVERED ${operation} healed${how}. ${link}`, link) };
}

/** What leaves for Resend and Twilio (and is stored as sent): personal data masked, secretlint's findings redacted. */
export async function scrubbed(message: Message): Promise<Message> {
  const [subject, body, sms] = await Promise.all([message.subject, message.body, message.sms].map(scrubOutgoingText));
  return { subject: subject!, body: body!, sms: sms! };
}

/** Keeps the link whole: the text before it is cut instead. */
function boundSms(message: string, link: string): string {
  if (message.length <= SMS_LIMIT) return message;
  const room = Math.max(0, SMS_LIMIT - link.length - 2);
  return `${message.slice(0, room).trimEnd()}… ${link}`.slice(0, Math.max(SMS_LIMIT, link.length));
}
