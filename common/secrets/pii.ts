// Personal data in free text: e-mail addresses and phone numbers. Masked before text goes to a
// third party (the LLM prompt, e-mail and SMS notifications); the stores an operator reads keep
// them (docs/security.md says why). IBANs are redacted everywhere, like card numbers (text-rules.ts).
// Pure: imported by workflow code.

export const MASKED_EMAIL = '[EMAIL]';
export const MASKED_PHONE = '[PHONE]';

const EMAIL = /[A-Za-z0-9._%+!#$&*/=?^{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g;
/** +49 30 1234567, +1 (555) 010-9999, (555) 010-9999, 555-010-9999, 030/1234567, 0151 23456789, 07700.900123. */
const PHONE = new RegExp(
  [
    String.raw`(?<![\w+.-])(?:`,
    String.raw`\+\d{1,3}[\s.-]?(?:\(\d{1,5}\)[\s.-]?)?\d{1,5}(?:[\s./-]?\d{2,5}){1,4}`,
    String.raw`|\(\d{2,5}\)[\s.-]?\d{3,4}[\s.-]?\d{3,5}`,
    String.raw`|0\d{2,4}[\s./-]\d{3,8}(?:[\s.-]\d{2,5})?`,
    String.raw`|\d{3}[-.]\d{3}[-.]\d{4}`,
    String.raw`)(?![\w-]|\.\d)`,
  ].join(''),
  'g',
);

function digitCount(text: string): number {
  return text.replace(/\D/g, '').length;
}

/** Replaces e-mail addresses and phone numbers (7 to 15 digits) with [EMAIL] / [PHONE]. */
export function maskPii(text: string): string {
  return text
    .replace(EMAIL, MASKED_EMAIL)
    .replace(PHONE, (match) => (digitCount(match) >= 7 && digitCount(match) <= 15 ? MASKED_PHONE : match));
}
