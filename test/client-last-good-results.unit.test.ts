// The last-good-result cache (FALLBACK_TO_CACHE): its key is cheap for primitive arguments, never
// ambiguous, and the same before and after the arguments travel sealed through Temporal; the
// cache is bounded and keeps what was written recently.
import { describe, expect, it } from 'vitest';
import { LastGoodResults } from '../client/operation-registry.js';
import { argumentsKey, createSealer } from '../client/sealed-values.js';

const sealer = createSealer('test key');
const roundTrip = (args: unknown[]) => sealer.unseal<unknown[]>(sealer.seal(args));

describe('argumentsKey', () => {
  it.each<[string, unknown[], unknown[]]>([
    ['split strings', ['ab', 'c'], ['a', 'bc']],
    ['a string that looks like an encoding', ['s1:a'], ['a']],
    ['number vs string', [1], ['1']],
    ['bigint vs number', [1n], [1]],
    ['undefined vs null vs nothing', [undefined], [null]],
    ['no arguments vs one empty string', [], ['']],
    ['boolean vs string', [true], ['t']],
    ['object vs its JSON', [{ id: 1 }], ['{"id":1}']],
    ['objects with different values', [{ id: 1 }], [{ id: 2 }]],
    ['long strings that differ at the end', ['x'.repeat(500) + 'a'], ['x'.repeat(500) + 'b']],
  ])('tells %s apart', (_label, left, right) => {
    expect(argumentsKey(left)).not.toBe(argumentsKey(right));
  });

  it.each<[string, unknown[]]>([
    ['primitives', ['EUR', 42, -0, NaN, 10n, true, null, undefined]],
    // eslint-disable-next-line no-sparse-arrays -- a hole on purpose: the round trip must keep it
    ['objects, dates, maps and arrays', [{ currency: 'EUR', at: new Date(0) }, new Map([[1, 'a']]), [1, , 3]]],
    ['a long string', ['y'.repeat(10_000)]],
  ])('is the same for %s after a sealed round trip', (_label, args) => {
    expect(argumentsKey(roundTrip(args))).toBe(argumentsKey(args));
  });

  it('keeps keys short: long arguments are hashed', () => {
    expect(argumentsKey(['z'.repeat(100_000)]).length).toBeLessThan(100);
  });
});

describe('LastGoodResults', () => {
  it('keeps at least the last perGeneration keys, at most twice as many, and the latest value of each', () => {
    const results = new LastGoodResults(10);
    for (let i = 0; i < 100; i++) results.set(`k${i}`, i);
    for (let i = 90; i < 100; i++) expect(results.get(`k${i}`)).toEqual({ value: i });
    expect(results.get('k0')).toBeUndefined();
    const kept = Array.from({ length: 100 }, (_, i) => results.get(`k${i}`)).filter(Boolean);
    expect(kept.length).toBeLessThanOrEqual(20);
  });

  it('keeps a key that keeps being written, with its newest value', () => {
    const results = new LastGoodResults(10);
    for (let i = 0; i < 100; i++) {
      results.set('hot', i);
      results.set(`cold${i}`, i);
    }
    expect(results.get('hot')).toEqual({ value: 99 });
  });

  it('remembers undefined as a value', () => {
    const results = new LastGoodResults();
    results.set('void', undefined);
    expect(results.get('void')).toEqual({ value: undefined });
  });
});
