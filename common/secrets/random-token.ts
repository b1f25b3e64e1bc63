// "Looks random": the test that masks a token no rule names (an unknown provider's key, a
// session id in a message). Pure: imported by workflow code.

const MIN_LENGTH = 20;
/** Hex is 4 bits a character: ids (Mongo 24, short hashes 7-16) stay, keys and digests (32+) go. */
const MIN_HEX_LENGTH = 32;
const MIN_ENTROPY_BITS = 3.5;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** A pronounceable letters-only chunk: 3+ letters, vowels in proportion, no 4 consonants in a row. */
function isWordLike(chunk: string): boolean {
  if (chunk.length < 3 || /\d/.test(chunk)) return false;
  const vowels = (chunk.match(/[aeiouy]/gi) ?? []).length / chunk.length;
  return vowels >= 0.25 && vowels <= 0.75 && !/[^aeiouy]{4}/i.test(chunk);
}

/** Share of the token made of words: identifiers ("ERR_STREAM_PREMATURE_CLOSE", "getUserById2") are mostly words. */
function wordShare(token: string): number {
  let wordy = 0;
  for (const chunk of token.match(/[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|\d+/g) ?? []) {
    if (isWordLike(chunk)) wordy += chunk.length;
  }
  return wordy / token.replace(/[^A-Za-z0-9]/g, '').length;
}

function count(text: string, pattern: RegExp): number {
  return (text.match(pattern) ?? []).length;
}

/**
 * True for a token (letters, digits, `-_+/=`) that looks generated rather than written: at
 * least 20 characters, mixed like base64/base62/base36, high entropy, few words; or 32+ hex
 * characters. UUIDs, words joined by separators ("gpt-4o-mini-2024-07-18") and identifiers
 * stay. Measured on random tokens: hex 100%, base64url/base62 93–98%, base36 83–93%
 * (bench/sanitize.ts prints the rates).
 */
export function looksRandom(candidate: string): boolean {
  const token = candidate.replace(/^[-_=+/]+|[-_=+/]+$/g, '');
  if (token.length < MIN_LENGTH) return false;
  const letters = count(token, /[A-Za-z]/g);
  const digits = count(token, /\d/g);
  if (letters < 2) return false;
  if (/^[0-9a-f-]+$/i.test(token)) {
    if (UUID.test(token)) return false;
    const hex = token.replace(/-/g, '');
    return hex.length >= MIN_HEX_LENGTH && digits >= 2 && shannonEntropy(hex) >= 3;
  }
  if (digits === 0 && (count(token, /[A-Z]/g) < 3 || count(token, /[a-z]/g) < 3)) return false;
  const parts = token.split(/[-_.]/);
  if (parts.length >= 3 && parts.every((part) => part.length <= 8)) return false;
  return wordShare(token) < 0.5 && shannonEntropy(token) >= MIN_ENTROPY_BITS;
}
