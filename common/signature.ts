// Error signatures: one stable id per fault, whatever ids, numbers, timestamps or deploy paths
// an occurrence carries. Imported by workflow code: pure and deterministic.
import type { ErrorReport } from './types.js';

const MAX_NORMALIZED_INPUT = 4_000;
const MAX_NORMALIZED_LENGTH = 1_000;
const MAX_FRAME_LENGTH = 300;
/** Frames are read from this much of a stack only, and from lines this long only: linear whatever is passed. */
const MAX_STACK_SCAN = 64 * 1024;
const MAX_STACK_LINE = 2_000;
const MAX_STACK_LINES = 200;

// ---------------------------------------------------------------------------------------------
// Hashing

function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd; // lone surrogate
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return bytes;
}

/**
 * FNV-1a 64-bit of the UTF-8 bytes of `text`, as 16 lowercase hex chars. Computed with four
 * 16-bit limbs (no BigInt, no Node crypto): identical in every process and in the workflow sandbox.
 */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325, least significant limb first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (const byte of utf8Bytes(text)) {
    h0 ^= byte;
    // multiply by the FNV prime 0x100000001b3 = 2^40 + 0x1b3, modulo 2^64
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + h0 * 0x100 + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + h1 * 0x100 + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  const hex = (limb: number) => limb.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/** A stable 16-hex-char hash of a string (FNV-1a 64). */
export function stableHash(text: string): string {
  return fnv1a64(String(text));
}

// ---------------------------------------------------------------------------------------------
// Messages

const ID_PLACEHOLDER = '<id>';

/** Keywords after which a quoted identifier names *what* failed and is kept. */
const KEPT_QUOTE_CONTEXT =
  /(?:reading|setting|relation|column|table|constraint|index|type|function|schema|database|role|module|package|property|field|method|parameter|attribute|model|enum|view|sequence|extension|trigger|operator|procedure|collection|queue|topic)\s*$/i;
const IDENTIFIER_LIKE = /^[A-Za-z_$@][\w$.:@/-]{0,80}$/;

function isIdLikeSegment(segment: string): boolean {
  return (
    /^\d+$/.test(segment) ||
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) ||
    /^(?:0x)?[0-9a-f]{8,}$/i.test(segment) ||
    (segment.length >= 10 && /\d/.test(segment) && /[A-Za-z]/.test(segment) && /^[A-Za-z0-9_-]+$/.test(segment))
  );
}

/** "::1", "fe80::1", "::ffff:10.0.0.1", full 8-group forms; not "10:15:30". */
function isIPv6(candidate: string): boolean {
  const colons = candidate.split(':').length - 1;
  const compressed = candidate.split('::').length - 1;
  if (compressed > 1) return false;
  const v4Tail = /\d\.\d/.test(candidate);
  return compressed === 1 || colons === 7 || (v4Tail && colons === 6);
}

function normalizeHost(authority: string): string {
  const at = authority.lastIndexOf('@');
  let host = at >= 0 ? authority.slice(at + 1) : authority;
  let port = '';
  const portMatch = /:(\d{1,5})$/.exec(host);
  if (portMatch) {
    host = host.slice(0, portMatch.index);
    port = ':<port>';
  }
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host) || /^\[[0-9a-f:.]*\]$/i.test(host)) host = '<ip>';
  return host + port;
}

function normalizeUrl(_match: string, scheme: string, authority: string, path: string | undefined): string {
  const segments = (path ?? '')
    .split('/')
    .map((segment) => (segment !== '' && isIdLikeSegment(segment) ? ':id' : segment));
  return `${scheme.toLowerCase()}://${normalizeHost(authority)}${segments.join('/')}`;
}

function normalizeQuoted(
  match: string,
  offset: number,
  whole: string,
  content: string,
  open: string,
  close: string,
): string {
  if (content.includes('://')) return match;
  const before = whole.slice(Math.max(0, offset - 40), offset);
  if (KEPT_QUOTE_CONTEXT.test(before) && IDENTIFIER_LIKE.test(content)) return match;
  return `${open}<str>${close}`;
}

const MESSAGE_RULES: Array<[RegExp, string | ((match: string, ...args: never[]) => string)]> = [
  // A redaction stands where an id or token was (a card number is a long digit run like any other).
  [/\[REDACTED(?:_[A-Z]+)*\]/g, ID_PLACEHOLDER],
  // URLs: scheme + host (ip/port normalised) + path with id-like segments; no query/fragment.
  [
    /\b([a-z][a-z0-9+.-]{0,30}):\/\/([^\s/?#"'<>`]{0,512})([^\s?#"'<>`]{0,2048})?(?:\?[^\s#"'<>`]{0,4096})?(?:#[^\s"'<>`]{0,2048})?/gi,
    normalizeUrl as never,
  ],
  // Quoted values (identifiers after "relation", "column", "reading", … are kept).
  [
    /(")([^"\n]{0,200})(")/g,
    ((m: string, open: string, content: string, close: string, offset: number, whole: string) =>
      normalizeQuoted(m, offset, whole, content, open, close)) as never,
  ],
  [
    /(?<![A-Za-z0-9])(')([^'\n]{0,200})(')(?![A-Za-z0-9])/g,
    ((m: string, open: string, content: string, close: string, offset: number, whole: string) =>
      normalizeQuoted(m, offset, whole, content, open, close)) as never,
  ],
  [
    /(`)([^`\n]{0,200})(`)/g,
    ((m: string, open: string, content: string, close: string, offset: number, whole: string) =>
      normalizeQuoted(m, offset, whole, content, open, close)) as never,
  ],
  [/(“)([^”\n]{0,200})(”)/g, '$1<str>$3'],
  // E-mail addresses.
  [/[A-Za-z0-9._%+!#$&*/?^{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}/g, '<email>'],
  // UUIDs.
  [/(?<![A-Za-z0-9])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9])/gi, '<uuid>'],
  // HTTP-dates, ISO timestamps, dates.
  [/\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC)\b/g, '<ts>'],
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?/g, '<ts>'],
  [/(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/g, '<date>'],
  [/(?<!\d)\d{1,2}\/\d{1,2}\/\d{2,4}(?!\d)/g, '<date>'],
  // IPv6 (also with an embedded IPv4), IPv4 (with port), host:port.
  [
    /(?<![\w:.])(?:[0-9a-f]{0,4}:){2,8}(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/gi,
    (m: string) => (isIPv6(m) ? '<ip>' : m),
  ],
  [
    /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)(?::\d{1,5}(?!\d))?/g,
    (m: string) => (m.includes(':') ? '<ip>:<port>' : '<ip>'),
  ],
  [/\b(localhost|[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}):\d{1,5}(?!\d)/g, '$1:<port>'],
  // Times of day.
  [/(?<![\d:])\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?![\d:])/g, '<time>'],
  // Hex ids (0x…, or ≥ 8 hex chars), long digit runs and mixed letter+digit tokens: one placeholder.
  [/(?<![A-Za-z0-9])0x[0-9a-f]+(?![A-Za-z0-9])/gi, ID_PLACEHOLDER],
  [/(?<![A-Za-z0-9])[0-9a-f]{8,}(?![A-Za-z0-9])/gi, ID_PLACEHOLDER],
  [
    /(?<![A-Za-z0-9])(?=[A-Za-z0-9]{0,200}\d)(?=[A-Za-z0-9]{0,200}[A-Za-z])[A-Za-z0-9]{10,}(?![A-Za-z0-9])/g,
    ID_PLACEHOLDER,
  ],
  // Remaining numbers.
  [/\d+(?:[.,]\d+)*/g, '<n>'],
  [/\s+/g, ' '],
];

/**
 * Replaces what varies between occurrences of one fault with placeholders: URLs keep
 * scheme + host + path (id-like segments → ':id', no query/fragment), quoted values → "<str>"
 * (identifiers after relation/column/reading/constraint/… are kept), e-mails → <email>,
 * UUIDs → <uuid>, timestamps → <ts>, dates → <date>, times → <time>, IPs → <ip>, ports →
 * <port>, hex ids / long digit runs / mixed alphanumeric ids → <id>, other numbers → <n>;
 * whitespace collapsed. Case is kept. At most 1,000 characters.
 */
export function normalizeMessage(message: string): string {
  try {
    let out = typeof message === 'string' ? message : String(message);
    out = out.slice(0, MAX_NORMALIZED_INPUT);
    for (const [pattern, replacement] of MESSAGE_RULES) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, replacement as never);
    }
    return out.trim().slice(0, MAX_NORMALIZED_LENGTH);
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Stack frames

function isLibraryOrInternal(location: string): boolean {
  return (
    location === '' ||
    location.startsWith('node:') ||
    location.startsWith('internal/') ||
    location.includes('(internal/') ||
    /(^|[/\\])node_modules[/\\]/.test(location) ||
    location === '<anonymous>' ||
    location === 'native' ||
    location.startsWith('index ') || // "at async Promise.all (index 0)"
    location.startsWith('evalmachine.') // vm glue, e.g. the Temporal workflow sandbox
  );
}

function shortFile(location: string): string | undefined {
  let file = location.trim();
  // "eval at fn (file.js:1:2), <anonymous>:1:1" → file.js
  const evalMatch = /^eval at [^(]*\((.*?)\)/.exec(file);
  if (evalMatch) file = evalMatch[1]!;
  file = file.replace(/:\d+(?::\d+)?$/, '');
  file = file.replace(/^[a-z][a-z0-9+.-]*:\/\/\/?/i, ''); // file://, webpack-internal:///
  file = file.replace(/[?#].*$/, '');
  file = file.replace(/\\/g, '/');
  if (isLibraryOrInternal(file)) return undefined;
  const parts = file.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.length === 0) return undefined;
  return parts.slice(-2).join('/');
}

function cleanFunctionName(raw: string): string {
  let name = raw.trim();
  name = name.replace(/^async\s+/, '').replace(/^new\s+/, '');
  name = name.replace(/\s*\[as [^\]]*\]$/, '');
  return name === '' ? '<anonymous>' : name.slice(0, 200);
}

const V8_FRAME = /^\s*at\s+(.*)$/;

function parseV8Frame(body: string): string | undefined {
  // "fn (location)" or "location": the first " (" of a line ending in ")" (one pass, no backtracking).
  const open = body.endsWith(')') ? /\s+\(/.exec(body) : null;
  const fn = open ? body.slice(0, open.index) : '<anonymous>';
  const location = open ? body.slice(open.index + open[0].length, -1) : body;
  if (isLibraryOrInternal(location)) return undefined;
  const file = shortFile(location);
  return file === undefined ? undefined : `${cleanFunctionName(fn)}@${file}`.slice(0, MAX_FRAME_LENGTH);
}

function parseFirefoxFrame(line: string): string | undefined {
  const match = /^([^\s@]*)@(\S+)$/.exec(line.trim());
  if (!match) return undefined;
  const file = shortFile(match[2]!);
  return file === undefined ? undefined : `${cleanFunctionName(match[1]!)}@${file}`.slice(0, MAX_FRAME_LENGTH);
}

/**
 * The first `n` application frames of a stack as `function@dir/file.ext`: no line/column, only
 * the last two path segments; frames from node:internal, internal/, node_modules and vm glue
 * (evalmachine.<anonymous>, as in the Temporal workflow sandbox) skipped. Reads the first 64 KB,
 * 200 lines of at most 2,000 characters each: a 10 MB one-line stack costs what a short one does.
 */
export function topStackFrames(stack: string | undefined, n = 3): string[] {
  try {
    if (typeof stack !== 'string' || stack === '') return [];
    const limit = Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 3;
    const frames: string[] = [];
    const lines = stack
      .slice(0, MAX_STACK_SCAN)
      .split('\n', MAX_STACK_LINES)
      .map((line) => line.slice(0, MAX_STACK_LINE));
    const v8 = lines.some((line) => V8_FRAME.test(line));
    for (const line of lines) {
      if (frames.length >= limit) break;
      let frame: string | undefined;
      if (v8) {
        const match = V8_FRAME.exec(line);
        frame = match ? parseV8Frame(match[1]!.trim()) : undefined;
      } else {
        frame = parseFirefoxFrame(line);
      }
      if (frame !== undefined) frames.push(frame);
    }
    return frames;
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures

export interface ErrorSignature {
  /** 16 lowercase hex chars. */
  signature: string;
  normalizedMessage: string;
  frames: string[];
}

/**
 * The fault's identity: FNV-1a 64 of error class, code, operation, normalised message and top
 * three application frames. Same fault with other ids/numbers/timestamps/paths → same signature.
 */
export function errorSignature(input: { report: ErrorReport; operation: string }): ErrorSignature {
  try {
    const report = input.report;
    const normalizedMessage = normalizeMessage(report.message ?? '');
    const frames = topStackFrames(report.stack, 3);
    const material = [
      'v1',
      String(report.name ?? '').slice(0, MAX_FRAME_LENGTH),
      String(report.code ?? '').slice(0, MAX_FRAME_LENGTH),
      String(input.operation ?? '').slice(0, MAX_FRAME_LENGTH),
      normalizedMessage,
      frames.join('|'),
    ].join('\u0000');
    return { signature: fnv1a64(material), normalizedMessage, frames };
  } catch {
    return { signature: fnv1a64('unreadable'), normalizedMessage: '', frames: [] };
  }
}

/** First 8 hex chars of a signature, for display. */
export function shortSignature(signature: string): string {
  return String(signature).slice(0, 8);
}
