import { sanitizeText, sanitize } from './common/sanitize.js';
import c from './test/fixtures/leak-corpus.json' with { type: 'json' };
const e = c.text.find((x) => x.shape === 'card:sep-32')!;
console.log(JSON.stringify(e.text), sanitizeText(e.text), sanitizeText('leakajx ' + e.text));
