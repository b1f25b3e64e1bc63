// The two ways an operator command fails, and how an error reads on the terminal.

/** A failure the operator should read (unknown run, run not waiting for approval…): exit code 1. */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** Bad input on the command line (an unparseable time, a quote in a filter…): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
