// The fixed-arity wrappers of client/success-path.ts behave as the general one: same arguments
// (their number too) to the operation and to the failure handler, same results, whatever the call.
import { describe, expect, it } from 'vitest';
import { wrapCalls, type Dependency } from '../client/success-path.js';

/** Operations of each declared arity that record exactly what they were called with. */
/* eslint-disable prefer-rest-params -- `arguments` is what tells how many arguments a call really passed */
function operations(outcome: (args: unknown[]) => unknown): Dependency[] {
  const record = (received: IArguments) => outcome([...received]);
  return [
    function () {
      return record(arguments);
    },
    function (_a: unknown) {
      return record(arguments);
    },
    function (_a: unknown, _b: unknown) {
      return record(arguments);
    },
    function (_a: unknown, _b: unknown, _c: unknown) {
      return record(arguments);
    },
    function (_a: unknown, _b: unknown, _c: unknown, _d: unknown) {
      return record(arguments);
    },
    (...args: unknown[]) => outcome(args),
    // Native async functions take the path without try/catch and Promise.resolve.
    async function () {
      return record(arguments);
    },
    async function (_a: unknown) {
      return record(arguments);
    },
    async function (_a: unknown, _b: unknown) {
      return record(arguments);
    },
    async function (_a: unknown, _b: unknown, _c: unknown) {
      return record(arguments);
    },
    async (...args: unknown[]) => outcome(args),
  ];
}
/* eslint-enable prefer-rest-params */

const CALLS: unknown[][] = [[], [1], [1, 'b'], [undefined], [1, undefined], [1, 2, 3], [1, 2, 3, 4], [1, 2, 3, 4, 5]];

async function settle(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('wrapCalls', () => {
  for (const remembering of [false, true]) {
    describe(remembering ? 'with a success handler (cacheResults)' : 'without a success handler', () => {
      const outcomes: Array<[string, (args: unknown[]) => unknown]> = [
        ['resolves', (args) => Promise.resolve({ args })],
        ['returns a plain value', (args) => ({ args })],
        ['returns a thenable', (args) => ({ then: (resolve: (value: unknown) => void) => resolve({ args }) })],
        ['rejects', (args) => Promise.reject(Object.assign(new Error('boom'), { args }))],
        [
          'throws',
          (args) => {
            throw Object.assign(new Error('sync boom'), { args });
          },
        ],
      ];
      for (const [label, outcome] of outcomes) {
        it(`passes every call's arguments through when the operation ${label}`, async () => {
          for (const fn of operations(outcome)) {
            for (const call of CALLS) {
              const failures: unknown[][] = [];
              const successes: unknown[][] = [];
              const wrapped = wrapCalls(fn, {
                failed: async (args, error) => {
                  failures.push(args);
                  return { healed: (error as { args: unknown[] }).args };
                },
                ...(remembering ? { succeeded: (args: unknown[]) => void successes.push(args) } : {}),
              });
              const returned = wrapped(...call);
              expect(returned).toBeInstanceOf(Promise);
              const result = await settle(returned);
              const failed = label === 'rejects' || label === 'throws';
              expect(result).toEqual(failed ? { value: { healed: call } } : { value: { args: call } });
              // The handlers see the caller's arguments exactly: their number too.
              expect(failures).toEqual(failed ? [call] : []);
              expect(failures.every((args) => args.length === call.length)).toBe(true);
              expect(successes).toEqual(remembering && !failed ? [call] : []);
              expect(successes.every((args) => args.length === call.length)).toBe(true);
            }
          }
        });
      }
    });
  }

  it("answers a native promise for a subclass's promise, and calls the operation without a receiver", async () => {
    class Special<T> extends Promise<T> {}
    let receiver: unknown = 'unset';
    const wrapped = wrapCalls(
      function (this: unknown, x: number) {
        receiver = this; // eslint-disable-line @typescript-eslint/no-this-alias -- the receiver is what is checked
        return Special.resolve(x + 1);
      },
      { failed: async () => 0 },
    );
    const returned = wrapped(1);
    expect(returned.constructor).toBe(Promise);
    expect(await returned).toBe(2);
    expect(receiver).toBeUndefined();
  });

  it('takes an async generator function, a bound async function and a proxy for what they are', async () => {
    const failed = async (_args: unknown[], error: unknown) => ({ healed: error });
    async function* generate(_a: unknown) {
      yield 1;
    }
    const generator = await wrapCalls(generate, { failed })(1);
    expect(typeof (generator as unknown as AsyncGenerator)[Symbol.asyncIterator]).toBe('function');
    const boom = new Error('sync boom');
    const throwing = new Proxy(async (_a: unknown) => 1, {
      apply() {
        throw boom;
      },
    });
    expect(await wrapCalls(throwing, { failed })(1)).toEqual({ healed: boom });
    const bound = async function (this: unknown, a: unknown, b: unknown) {
      return [this, a, b];
    }.bind('receiver', 'first');
    expect(await wrapCalls(bound, { failed })('second')).toEqual(['receiver', 'first', 'second']);
  });

  it("keeps the failure handler's own rejection", async () => {
    const wrapped = wrapCalls(async (_x: number) => Promise.reject(new Error('first')), {
      failed: async (_args, error) => {
        throw error;
      },
    });
    await expect(wrapped(1)).rejects.toThrow('first');
  });
});
