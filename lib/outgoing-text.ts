// The last pass over text that leaves for a third party (the LLM prompt, e-mail and SMS): a
// maintained rule set, secretlint's recommended preset (cloud and SaaS tokens, connection strings,
// private keys), on top of common/sanitize.ts, plus the personal-data mask. Node only (secretlint
// is async and imports Node modules), so it cannot run in workflow code: the workflow's own data
// is covered by common/ alone.
import { maskPii } from '../common/secrets/pii.js';
import { REDACTED } from '../common/secrets/text-rules.js';

/** secretlint and its preset, loaded with the first text that leaves (a start sends none). */
async function loadSecretlint() {
  const [{ lintSource }, { creator: preset }] = await Promise.all([
    import('@secretlint/core'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]);
  return { lintSource, config: { rules: [{ id: preset.meta.id, rule: preset }] } };
}

/** Character ranges secretlint reports as secrets. */
async function secretRanges(text: string): Promise<Array<[number, number]>> {
  const { lintSource, config } = await loadSecretlint();
  const result = await lintSource({
    source: { content: text, filePath: '/outgoing.txt', contentType: 'text' },
    options: { config, noPhysicFilePath: true, maskSecrets: true },
  });
  return result.messages.map((message) => [message.range[0], message.range[1]]);
}

/** Replaces the ranges (sorted, merged) with [REDACTED]; `within` narrows a range (e.g. to one JSON string). */
function replaceRanges(
  text: string,
  ranges: Array<[number, number]>,
  within: (start: number, end: number) => number,
): string {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let cursor = 0;
  for (const [start, rangeEnd] of sorted) {
    if (start < cursor) continue;
    const end = within(start, rangeEnd);
    if (end <= start) continue;
    parts.push(text.slice(cursor, start), REDACTED);
    cursor = end;
  }
  parts.push(text.slice(cursor));
  return parts.join('');
}

/** Plain text for an e-mail or SMS: personal data masked, then whatever secretlint finds. */
export async function scrubOutgoingText(text: string): Promise<string> {
  const masked = maskPii(text);
  return replaceRanges(masked, await secretRanges(masked), (_start, end) => end);
}

/**
 * Serialised JSON (the LLM prompt): each finding is cut at the first quote, backslash or line
 * end, so it stays inside its string and the JSON stays valid (a secret never holds a raw quote:
 * JSON escapes it).
 */
export async function scrubOutgoingJson(json: string): Promise<string> {
  const masked = maskPii(json);
  return replaceRanges(masked, await secretRanges(masked), (start, end) => {
    const stop = masked.slice(start, end).search(/["\\\n]/);
    return stop < 0 ? end : start + stop;
  });
}
