// The provider SDKs (OpenAI, Resend, Twilio), loaded on first use: together they are hundreds of
// modules, and most starts of a worker never call a provider. Callers import their types with
// `import type` and take the values from these loaders (Node caches each module after the first load).

/** `openai` and the pieces the LLM diagnosis uses besides the client. */
export async function loadOpenAI() {
  const [{ default: OpenAI }, { ContentFilterFinishReasonError, LengthFinishReasonError }, { zodResponseFormat }] =
    await Promise.all([import('openai'), import('openai/error'), import('openai/helpers/zod')]);
  return { OpenAI, ContentFilterFinishReasonError, LengthFinishReasonError, zodResponseFormat };
}

export type OpenAISdk = Awaited<ReturnType<typeof loadOpenAI>>;

export async function loadResend() {
  return (await import('resend')).Resend;
}

export async function loadTwilio() {
  return (await import('twilio')).default;
}
