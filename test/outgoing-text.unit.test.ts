// lib/outgoing-text.ts: the last pass over what leaves for the LLM, e-mail and SMS.
import { describe, expect, it } from 'vitest';
import { scrubOutgoingJson, scrubOutgoingText } from '../lib/outgoing-text.js';

const GITHUB = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
const WEBHOOK = 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx';

describe('scrubOutgoingText', () => {
  it("redacts what secretlint's recommended rules find and masks personal data", async () => {
    const out = await scrubOutgoingText(
      `token ${GITHUB}, hook ${WEBHOOK}, db postgres://app:S3cretPw@db:5432/x, ` +
        'mail bob@example.com, call +49 30 1234567',
    );
    for (const secret of [GITHUB, 'abcdefghijklmnopqrstuvwx', 'S3cretPw', 'bob@example.com', '1234567'])
      expect(out).not.toContain(secret);
    expect(out).toContain('[EMAIL]');
    expect(out).toContain('[PHONE]');
  });

  it('leaves ordinary text alone', async () => {
    const text = 'connect ECONNREFUSED 10.0.0.1:5432 at 2024-01-02T10:00:00Z (attempt 3)';
    expect(await scrubOutgoingText(text)).toBe(text);
  });
});

describe('scrubOutgoingJson', () => {
  it('keeps the JSON valid while redacting inside its strings', async () => {
    const json = JSON.stringify(
      { error: { message: `login with ${GITHUB} failed` }, context: { hook: WEBHOOK, contact: 'ann@example.org' } },
      null,
      2,
    );
    const out = await scrubOutgoingJson(json);
    const parsed = JSON.parse(out) as { error: { message: string }; context: { hook: string; contact: string } };
    expect(parsed.error.message).toBe('login with [REDACTED] failed');
    expect(parsed.context.hook).not.toContain('abcdefghijklmnopqrstuvwx');
    expect(parsed.context.contact).toBe('[EMAIL]');
  });
});
