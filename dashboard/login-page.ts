// The only page an unauthenticated browser gets (always with status 401): a token form.
// Self-contained (no script, no asset) because every other path answers 401 too.

export function loginPage(options: { rejected: boolean }): string {
  const notice = options.rejected ? '<p class="notice" role="alert">That token was not accepted.</p>' : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Sign in · Self-healing dashboard</title>
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
  .notice { color: #fca5a5; margin: 0.75rem 0 0; }
</style>
</head>
<body>
<form method="post" action="/login" autocomplete="off">
  <h1>Self-healing dashboard</h1>
  <p>Administrators only. Enter the dashboard token (DASHBOARD_TOKEN).</p>
  <label for="token">Token</label>
  <input id="token" name="token" type="password" required autofocus>
  <button type="submit">Sign in</button>
  ${notice}
</form>
</body>
</html>
`;
}
