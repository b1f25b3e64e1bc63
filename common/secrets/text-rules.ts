// Secrets in free text. Every rule scans the original text and reports the span of its secret;
// overlapping spans are merged, then replaced, so rules cannot hide a secret from one another.
// Each rule is linear in the text (bounded repetitions, no nested quantifiers). Pure: imported
// by workflow code.
import { isSecretKey, keepUnderSecretKey } from './key-names.js';
import { looksRandom } from './random-token.js';

export const REDACTED = '[REDACTED]';
export const REDACTED_CARD = '[REDACTED_CARD]';
export const REDACTED_JWT = '[REDACTED_JWT]';
export const REDACTED_KEY = '[REDACTED_KEY]';
export const REDACTED_IBAN = '[REDACTED_IBAN]';
export const REDACTED_PRIVATE_KEY = '[REDACTED_PRIVATE_KEY]';

interface Span {
  start: number;
  end: number;
  marker: string;
}

interface TextRule {
  /** Needs the `d` (indices) and `g` flags. */
  pattern: RegExp;
  /** Capture group holding the secret (0: the whole match). */
  group?: number;
  marker: string;
  accept?: (match: RegExpExecArray) => boolean;
  /** Custom secret spans (absolute offsets) instead of `group`. */
  spans?: (match: RegExpExecArray, text: string) => Array<[number, number]>;
}

// ---------------------------------------------------------------------------------------------
// Numbers with a checksum: payment cards (Luhn) and IBANs (mod 97)

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/**
 * Payment card numbers: 13–19 digits, Luhn-valid, starting with 2–6 (Mastercard 2-series,
 * Amex/Diners/JCB, Visa, Mastercard, Discover/UnionPay/Maestro). Millisecond timestamps and
 * snowflake ids (starting with 1) are left alone.
 */
export function looksLikeCardNumber(digits: string): boolean {
  return /^[2-6]\d{12,18}$/.test(digits) && luhnValid(digits);
}

/** Card numbers inside a run of digits/separators: the whole run, else spans of whole digit groups. */
function cardIntervals(run: string, offset: number): Array<[number, number]> {
  if (looksLikeCardNumber(run.replace(/[^0-9]/g, ''))) return [[offset, offset + run.length]];
  // "4111 1111 1111 1111 7", "5 4111-1111-1111-1111": try spans of whole digit groups.
  const groups: Array<{ start: number; digits: string }> = [];
  const groupPattern = /[0-9]+/g;
  for (let m = groupPattern.exec(run); m !== null; m = groupPattern.exec(run))
    groups.push({ start: m.index, digits: m[0] });
  const found: Array<[number, number]> = [];
  for (let i = 0; i < groups.length; i++) {
    let candidate = '';
    for (let j = i; j < groups.length; j++) {
      candidate += groups[j]!.digits;
      if (candidate.length > 19) break;
      if (candidate.length >= 13 && looksLikeCardNumber(candidate)) {
        const last = groups[j]!;
        found.push([offset + groups[i]!.start, offset + last.start + last.digits.length]);
        i = j;
        break;
      }
    }
  }
  return found;
}

/** ISO 13616: move the first four characters to the end, letters to numbers, remainder mod 97 is 1. */
function ibanValid(compact: string): boolean {
  const moved = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const char of moved) {
    const value = char >= 'A' ? char.charCodeAt(0) - 55 : char.charCodeAt(0) - 48;
    remainder = (value > 9 ? remainder * 100 + value : remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

// ---------------------------------------------------------------------------------------------
// key = value, in every notation: one judge (isSecretKey) for every form.

/** How many characters a quoted or unquoted value may take. */
const MAX_VALUE_LENGTH = 4_096;
const QUOTES: ReadonlyArray<[open: string, close: string]> = [
  ['\\"', '\\"'],
  ['%22', '%22'],
  ['%27', '%27'],
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
];
/** An unquoted value ends at a line end, a quote, a bracket, `&`, a URL-encoded `&`/quote, or the next `key=`. */
const UNQUOTED_END =
  /[\r\n"'`<>{}[\]&]|%2[267]|%0[aAdD]|[,;]\s{0,3}[\p{L}\p{N}_.-]{1,60}\s{0,3}[=:]|\s[\p{L}\p{N}_.-]{1,60}=/u;

/** The value after a separator at `from`: its span, quotes excluded; `wholeLine` for headers such as Cookie. */
function valueSpan(text: string, from: number, wholeLine: boolean): [number, number] | undefined {
  let start = from;
  while (start < text.length && (text[start] === ' ' || text[start] === '\t')) start++;
  for (const [open, close] of QUOTES) {
    if (!text.startsWith(open, start)) continue;
    const inner = start + open.length;
    const end = text.indexOf(close, inner);
    const lineEnd = text.slice(inner, inner + MAX_VALUE_LENGTH).search(/[\r\n]/);
    const stop =
      end >= 0 && end - inner <= MAX_VALUE_LENGTH
        ? end
        : lineEnd >= 0
          ? inner + lineEnd
          : Math.min(text.length, inner + MAX_VALUE_LENGTH);
    return stop > inner ? [inner, stop] : undefined;
  }
  const rest = text.slice(start, start + MAX_VALUE_LENGTH);
  const cut = rest.search(wholeLine ? /[\r\n]/ : UNQUOTED_END);
  let end = start + (cut >= 0 ? cut : rest.length);
  while (end > start && /[\s.,;)]/.test(text[end - 1]!)) end--;
  return end > start ? [start, end] : undefined;
}

/** Up to three words of letters right before the key ("mot de passe", "pass phrase"): part of its name. */
function phraseBefore(text: string, keyStart: number, key: string): string | undefined {
  if (text[keyStart - 1] !== ' ') return undefined;
  const words = /((?:\p{L}{1,20} ){1,3})$/u.exec(text.slice(Math.max(0, keyStart - 64), keyStart));
  return words ? `${words[1]}${key}` : undefined;
}

function keyValueSpans(match: RegExpExecArray, text: string): Array<[number, number]> {
  const key = match[2]!;
  const keyStart = match.indices![2]![0];
  if (!isSecretKey(key)) {
    const phrase = phraseBefore(text, keyStart, key);
    if (phrase === undefined || !isSecretKey(phrase)) return [];
  }
  const span = valueSpan(text, match.index + match[0].length, /cookie|authorization/i.test(key));
  if (!span) return [];
  const value = text.slice(span[0], span[1]);
  if (/^(?:true|false|null|undefined|none)$/i.test(value)) return [];
  if (/^\d{1,9}(?:\.\d+)?$/.test(value) && keepUnderSecretKey(key, Number(value))) return [];
  return [span];
}

/** `<password>…</password>`, `<ns:ApiKey attr="x">…</ns:ApiKey>`. */
function xmlElementSpans(match: RegExpExecArray): Array<[number, number]> {
  const name = match[1]!.replace(/^[^:]*:/, '');
  if (!isSecretKey(name)) return [];
  const range = match.indices![2]!;
  return [[range[0], range[1]]];
}

/** From a BEGIN line to its END line, or to the end of the text when cut. */
function privateKeySpans(match: RegExpExecArray, text: string): Array<[number, number]> {
  const end = text.indexOf('-----END ', match.index + match[0].length);
  if (end < 0) return [[match.index, text.length]];
  const close = text.indexOf('-----', end + 9);
  return [[match.index, close < 0 ? text.length : close + 5]];
}

const PROVIDER_PREFIXES = [
  'sk-',
  'sk_live_',
  'sk_test_',
  'rk_live_',
  'rk_test_',
  'whsec_',
  'npm_',
  'glpat-',
  'gldt-',
  'hf_',
  'dop_v1_',
  'doo_v1_',
  'dor_v1_',
  'figd_',
  'lin_api_',
  'xapp-',
  'pypi-',
  'shpat_',
  'shpss_',
  'shpca_',
  'shppa_',
  'ya29\\.',
  'EAA',
  're_',
  'github_pat_',
  'gh[pousr]_',
  'xox[abposr]-',
  'AIza',
  'secret_',
  'sq0csp-',
  'sq0atp-',
  'SG\\.',
  'key-',
  'AGE-SECRET-KEY-',
];

const TEXT_RULES: TextRule[] = [
  // Private keys of any kind (PEM, OpenSSH, PGP "PRIVATE KEY BLOCK", encrypted), to their END line.
  {
    pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/dg,
    marker: REDACTED_PRIVATE_KEY,
    spans: privateKeySpans,
  },
  // JWTs: header.payload.signature, base64url, header starting with eyJ ('{"'); or header.payload.
  { pattern: /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/dg, marker: REDACTED_JWT },
  { pattern: /eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]*/dg, marker: REDACTED_JWT },
  // Provider tokens by their prefix (OpenAI, Stripe, GitHub, Slack, SendGrid, npm, GitLab, …): with a digit.
  {
    pattern: new RegExp(`(?<![A-Za-z0-9])(?:${PROVIDER_PREFIXES.join('|')})[A-Za-z0-9_+/=.-]{12,}`, 'dg'),
    marker: REDACTED_KEY,
    accept: (m) => /\d/.test(m[0].slice(3)),
  },
  { pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/dg, marker: REDACTED_KEY },
  { pattern: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/dg, marker: REDACTED_KEY },
  // Tokens in URL paths: Telegram bots (…/bot123456:AA…/), Slack and Discord webhooks.
  { pattern: /(?<![0-9])\d{5,12}:[A-Za-z0-9_-]{30,}/dg, marker: REDACTED_KEY },
  { pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9/_-]+)/dgi, group: 1, marker: REDACTED },
  { pattern: /discord(?:app)?\.com\/api\/webhooks\/([A-Za-z0-9/_-]+)/dgi, group: 1, marker: REDACTED },
  // Credentials in URLs: scheme://user:pass@host → scheme://[REDACTED]@host (also token@host).
  { pattern: /\b[a-z][a-z0-9+.-]{0,30}:\/\/([^\s/?#]{1,2048})@/dgi, group: 1, marker: REDACTED },
  // …and passwords containing '/' (invalid but seen): user:pa/ss@host; not host:port/path?q=a@b.
  {
    pattern: /\b[a-z][a-z0-9+.-]{0,30}:\/\/([^\s/?#@:]{0,256}:([^\s@]{1,512}))@/dgi,
    group: 1,
    marker: REDACTED,
    accept: (m) => !/^\d*(?:[/?#]|$)/.test(m[2] ?? ''),
  },
  // …and without a scheme: DATABASE_URL="u:S3cret@db:5432/x".
  {
    pattern: /(?<![\w.:/%-])[A-Za-z0-9._%-]{1,64}:([^\s@/:"'<>]{1,256})@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*/dg,
    group: 1,
    marker: REDACTED,
  },
  // Every query-string and fragment parameter value (?code=, &sig=, #access_token=, X-Amz-Signature=).
  { pattern: /[?&#]([^\s=&#?"'<>]{1,100})=([^\s&#"'<>]+)/dg, group: 2, marker: REDACTED },
  // Authorization schemes without their header name.
  { pattern: /\bbearer\s+((?:bearer\s+)*[A-Za-z0-9\-._~+/]+=*)/dgi, group: 1, marker: REDACTED },
  {
    pattern: /\b(?:Basic|Token|ApiKey|Api-Key|Negotiate|NTLM)\s+([A-Za-z0-9\-._~+/]{6,}={0,2})/dg,
    group: 1,
    marker: REDACTED,
    accept: (m) => /[0-9=+/]/.test(m[1]!) || /[A-Z]/.test(m[1]!.slice(1)),
  },
  { pattern: /\bDigest\s+([^\r\n]*\bresponse\s*=[^\r\n]*)/dgi, group: 1, marker: REDACTED },
  // key=value, key: value, "key": "value", 'key' => 'value', $key = '…', key%3Dvalue, "key", "value".
  {
    pattern:
      /(?:(?<![\p{L}\p{N}_.\-$%])|(?<=%2[27]))\$?(["'`]|%2[27]|\\")?([\p{L}\p{N}_.-]{1,60})(?:["'`]|%2[27]|\\")?\]?[ \t]{0,3}(?:=>|:=|==|=|:|：|%3[DdAa])/dgu,
    marker: REDACTED,
    spans: keyValueSpans,
  },
  {
    pattern: /(?<![\p{L}\p{N}_.-])(["'])([\p{L}\p{N}_.-]{1,60})\1[ \t]{0,3},/dgu,
    marker: REDACTED,
    spans: keyValueSpans,
  },
  // Command-line flags: --password hunter2, --api-key=…
  {
    pattern: /(?<![^\s"'])--?([\p{L}\p{N}_-]{1,60})[ =]([^\s"'-][^\s"']*)/dgu,
    marker: REDACTED,
    spans: (m) => (isSecretKey(m[1]!) ? [[m.indices![2]![0], m.indices![2]![1]]] : []),
  },
  {
    pattern: /<([\p{L}\p{N}_.:-]{1,60})(?:\s[^<>]{0,200})?>([^<]{1,4096})<\/\1\s*>/dgu,
    marker: REDACTED,
    spans: xmlElementSpans,
  },
  // Card numbers: 13–19 digits with single separators (space, dash, dot, no-break or thin spaces), Luhn-checked.
  // A run may hold several cards ("4111 1111 1111 1111 5500 …"): cardIntervals splits it by groups.
  {
    pattern: /(?<![0-9])[0-9](?:[ .\-\u00a0\u2007\u2009\u202f]?[0-9]){12,}(?![0-9])/dg,
    marker: REDACTED_CARD,
    spans: (m) => cardIntervals(m[0], m.index),
  },
  // IBANs, grouped or not, mod-97 checked.
  {
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]{4}){2,7}(?:[ \u00a0]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/dg,
    marker: REDACTED_IBAN,
    accept: (m) => ibanValid(m[0].replace(/[ \u00a0]/g, '')),
  },
  // Whatever looks random: unknown providers' keys, session ids, signatures.
  // (Each starts at the beginning of a run only: a scan from every position of a long run would be quadratic.)
  { pattern: /(?<![A-Za-z0-9_+=-])[A-Za-z0-9_+-]{20,}={0,2}/dg, marker: REDACTED, accept: (m) => looksRandom(m[0]) },
  { pattern: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}/dg, marker: REDACTED, accept: (m) => looksRandom(m[0]) },
];

function collectSpans(text: string): Span[] {
  const spans: Span[] = [];
  for (const rule of TEXT_RULES) {
    const pattern = rule.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0] === '') {
        pattern.lastIndex += 1;
        continue;
      }
      if (rule.accept && !rule.accept(m)) continue;
      if (rule.spans) {
        for (const [start, end] of rule.spans(m, text)) spans.push({ start, end, marker: rule.marker });
        continue;
      }
      const range = m.indices?.[rule.group ?? 0];
      if (range) spans.push({ start: range[0], end: range[1], marker: rule.marker });
    }
  }
  return spans;
}

/** Replaces every secret span of `text` with its marker (overlaps merged; mixed markers become [REDACTED]). */
export function redactText(text: string): string {
  const spans = collectSpans(text);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let cursor = 0;
  let current: Span | undefined;
  const flush = () => {
    if (!current) return;
    parts.push(text.slice(cursor, current.start), current.marker);
    cursor = current.end;
  };
  for (const span of spans) {
    if (current && span.start < current.end) {
      if (span.end > current.end) current.end = span.end;
      if (span.marker !== current.marker) current.marker = REDACTED;
      continue;
    }
    flush();
    current = { ...span };
  }
  flush();
  parts.push(text.slice(cursor));
  return parts.join('');
}
