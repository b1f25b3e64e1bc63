// The one list of names that mark a value as secret: used for object keys (sanitize) and for
// `key=value`, `"key": value`, `<key>value</key>` and `Key: value` forms in free text
// (text-rules.ts), so the two can never disagree. Pure: imported by workflow code.

/** This project's own secret settings: named here so a change of the heuristics below cannot miss them. */
export const PROJECT_SECRET_SETTINGS = [
  'PAYLOAD_ENCRYPTION_KEY',
  'PAYLOAD_ENCRYPTION_KEYS',
  'CODEC_SERVER_TOKEN',
  'DASHBOARD_TOKEN',
  'TWILIO_AUTH_TOKEN',
  'RESEND_API_KEY',
  'OPENAI_API_KEY',
  'TEMPORAL_API_KEY',
  'SELF_HEALING_SEAL_KEY',
] as const;

/** Found anywhere in the key once lowercased, accents and separators removed ("db-Password" → "dbpassword"). */
const SECRET_KEY_FRAGMENTS = [
  'password',
  'passwd',
  'passphrase',
  'passcode',
  'pincode',
  'pwd',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'authkey',
  'privatekey',
  'secretkey',
  'signingkey',
  'masterkey',
  'encryptionkey',
  'decryptionkey',
  'sealkey',
  'credential',
  'authorization',
  'cookie',
  'session',
  'bearer',
  'mnemonic',
  'seedphrase',
  'recoveryphrase',
  'cvv',
  'cvc',
  // Other languages: password, secret, token, key.
  'passwort',
  'kennwort',
  'geheim',
  'schlussel',
  'contrasena',
  'clave',
  'secreto',
  'motdepasse',
  'jeton',
  'senha',
  'segreto',
  'wachtwoord',
  'losenord',
  'salasana',
  'haslo',
  'hasło',
  'sifre',
  'parola',
  'пароль',
  'секрет',
  'токен',
  'ключ',
  '密码',
  '密碼',
  '口令',
  '密钥',
  '令牌',
  'パスワード',
  '暗証番号',
  '비밀번호',
  'كلمةالسر',
  'סיסמה',
];

/** Short words that name a secret only as the key's last whole word ("auth", "apiKey", "pin"). */
const SECRET_LAST_WORDS = new Set([
  'pass',
  'pw',
  'auth',
  'key',
  'keys',
  'otp',
  'totp',
  'mfa',
  'pin',
  'sig',
  'signature',
  'hmac',
  'salt',
  'psk',
]);

/** Qualifiers under which a last word "key" names an identifier, not a secret ("cacheKey", "idempotency_key"). */
const NON_SECRET_KEY_QUALIFIERS = new Set([
  'cache',
  'idempotency',
  'primary',
  'foreign',
  'sort',
  'partition',
  'range',
  'route',
  'routing',
  'lookup',
  'dedupe',
  'dedup',
  'dedupl',
  'object',
  'public',
  'event',
  'message',
  'translation',
  'i18n',
  'unique',
  'composite',
  'index',
  'group',
  'row',
  'item',
  'record',
  'react',
  'map',
  'storage',
  'bucket',
  'hotkey',
  'shortcut',
]);

/** "otp code", "auth code", "verification code": a last word "code" after one of these. */
const SECRET_CODE_QUALIFIERS = new Set([
  'otp',
  'totp',
  'mfa',
  'auth',
  'verification',
  'security',
  'recovery',
  'backup',
  'access',
  'sms',
  '2fa',
  'pin',
]);

/** Numeric counters such as `max_tokens`, `tokenCount`, `sessionTtl` are not secrets. */
const COUNTER_SUFFIX = /(count|tokens|length|size|ttl|expiresin|expiresat|expiry|maxage|timeout|limit|used|remaining)$/;

function fold(key: string): string {
  return key.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function compact(key: string): string {
  return fold(key).replace(/[^\p{L}\p{N}]/gu, '');
}

/** "PAYLOAD_ENCRYPTION_KEYS" → payload, encryption, keys; "x-api-key" → x, api, key. */
function words(key: string): string[] {
  const spaced = key.replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, '$1 $2').replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2');
  return fold(spaced)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
}

const MAX_KEY_LENGTH = 200;
const verdicts = new Map<string, boolean>();
const MAX_REMEMBERED = 5_000;

/** Folded like the keys they are looked for in (NFKD splits kana and hangul, too). */
const FOLDED_FRAGMENTS = SECRET_KEY_FRAGMENTS.map(compact);

function judge(key: string): boolean {
  const joined = compact(key);
  if (FOLDED_FRAGMENTS.some((fragment) => joined.includes(fragment))) return true;
  const parts = words(key);
  const last = parts[parts.length - 1];
  if (last === undefined) return false;
  const before = parts[parts.length - 2];
  if (last === 'key' || last === 'keys') return before === undefined || !NON_SECRET_KEY_QUALIFIERS.has(before);
  if (last === 'code') return before !== undefined && SECRET_CODE_QUALIFIERS.has(before);
  return SECRET_LAST_WORDS.has(last);
}

/**
 * True when a property, header, parameter or setting name says its value is a secret, in any
 * case, separator or language: `password`, `pw`, `auth`, `key`, `otp`, `cvv`, `signing_key`,
 * `encryptionKey`, `X-Api-Key`, `Passwort`, `пароль`, `PAYLOAD_ENCRYPTION_KEYS`, …
 */
export function isSecretKey(key: string): boolean {
  const name = String(key).slice(0, MAX_KEY_LENGTH);
  let verdict = verdicts.get(name);
  if (verdict === undefined) {
    verdict = judge(name);
    if (verdicts.size >= MAX_REMEMBERED) verdicts.clear();
    verdicts.set(name, verdict);
  }
  return verdict;
}

/** Booleans and null carry no secret; numbers under counter-like names neither ("max_tokens": 512). */
export function keepUnderSecretKey(key: string, value: unknown): boolean {
  if (value === null || value === undefined || typeof value === 'boolean') return true;
  return typeof value === 'number' && COUNTER_SUFFIX.test(compact(key));
}
