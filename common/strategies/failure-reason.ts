/** The message of a failed activity (its cause's, as Temporal wraps it), for the attempt log. */
export function failureReason(error: unknown): string {
  const failure = error as { cause?: { message?: string }; message?: string };
  return failure.cause?.message ?? failure.message ?? String(error);
}
