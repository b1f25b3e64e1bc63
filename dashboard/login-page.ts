// The only page an unauthenticated browser gets (401, or 429 while backing off): a token form that
// says why it is shown when there is a reason. Self-contained (no script, no asset but the icon).

/** Why the form is shown; none for a first visit. */
export type SignInReason = 'rejected' | 'link-rejected' | 'expired' | 'ended' | 'token-changed' | 'throttled';

function noticeText(reason: SignInReason, retryAfterSeconds: number): string {
  switch (reason) {
    case 'rejected':
      return 'That token was not accepted.';
    case 'link-rejected':
      return (
        'The token in this link is not accepted: the dashboard token may have changed since the link was made. ' +
        'Use the link printed at the latest start, or enter the current token.'
      );
    case 'expired':
      return 'Your session expired. Sign in again.';
    case 'ended':
      return 'Your session has ended (signed out, or the dashboard restarted). Sign in again.';
    case 'token-changed':
      return 'The dashboard token has changed since you signed in. Sign in with the current token.';
    case 'throttled':
      return `Too many failed sign-ins from your address. Try again in ${retryAfterSeconds} s.`;
  }
}

export function loginPage(reason?: SignInReason, retryAfterSeconds = 0): string {
  const notice = reason
    ? `<p class="notice" role="alert" data-reason="${reason}">${noticeText(reason, retryAfterSeconds)}</p>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign in · Self-healing dashboard</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<style>
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #0f172a;
         font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #e2e8f0; }
  form { background: #1e293b; padding: 2rem 2.25rem; border-radius: 12px; width: min(360px, 90vw);
         box-shadow: 0 10px 30px rgb(0 0 0 / 0.35); }
  h1 { font-size: 1.2rem; margin: 0 0 0.25rem; }
  p { margin: 0 0 1.25rem; color: #94a3b8; font-size: 0.9rem; }
  label { display: block; font-size: 0.85rem; margin-bottom: 0.35rem; color: #cbd5e1; }
  input { width: 100%; box-sizing: border-box; padding: 0.6rem 0.7rem; border-radius: 8px; border: 1px solid #475569;
          background: #0f172a; color: inherit; font: inherit; }
  button { margin-top: 1rem; width: 100%; padding: 0.6rem; border: 0; border-radius: 8px; background: #2563eb;
           color: white; font: inherit; font-weight: 600; cursor: pointer; }
  button:hover { background: #1d4ed8; }
  .notice { color: #fecaca; background: #7f1d1d66; border-radius: 8px; padding: 0.5rem 0.7rem; margin: 0 0 1rem; }
</style>
</head>
<body>
<form method="post" action="/login" autocomplete="off">
  <h1>Self-healing dashboard</h1>
  <p>Administrators only. Enter the dashboard token (DASHBOARD_TOKEN). Without it, a local start prints a
     sign-in link and keeps the token in the file dashboard-token under DATA_DIR.</p>
  ${notice}
  <label for="token">Token</label>
  <input id="token" name="token" type="password" required autofocus>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
