// Faults that tests make their operations throw, and operations that throw them.

/** A network error as Node raises it: the message and its `code` (by default a reset connection). */
export function networkError(message = 'read ECONNRESET', code = 'ECONNRESET'): Error {
  return Object.assign(new Error(message), { code });
}

/** The database refused the connection (ECONNREFUSED). */
export function connectionRefused(): Error {
  return networkError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
}

/** An operation whose first call throws `fault()` and every later call returns `{ id }`. */
export function failsOnce(fault: () => Error): (id: string) => Promise<{ id: string }> {
  let calls = 0;
  return async (id: string) => {
    if (++calls === 1) throw fault();
    return { id };
  };
}
