// The chat page's markup. No inline script or style (the CSP forbids both); everything the
// page shows from the gateway is inserted as text by app.js, never as HTML.
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>SecureSphere</title>
<link rel="stylesheet" href="/web/app.css">
<script src="/web/app.js" defer></script>
</head>
<body>
<header>
  <h1>SecureSphere</h1>
  <span id="status" class="status" data-state="offline">offline</span>
  <span class="spacer"></span>
  <button id="new-conversation" type="button" hidden>New conversation</button>
  <button id="forget-token" type="button" hidden>Forget token</button>
</header>
<section id="login" hidden>
  <form id="login-form">
    <label for="token">API token</label>
    <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required>
    <button type="submit">Connect</button>
    <p id="login-error" class="error" role="alert" hidden></p>
    <p class="hint">The token is in &lt;data-dir&gt;/api-token (or SECURESPHERE_API_TOKEN). This tab keeps it in sessionStorage only.</p>
  </form>
</section>
<main id="chat" hidden>
  <ol id="messages" aria-live="polite"></ol>
  <p id="thinking" class="thinking" hidden>…</p>
  <p id="error" class="error" role="alert" hidden></p>
  <form id="send-form">
    <textarea id="input" rows="2" maxlength="16000" placeholder="Message (Enter sends, Shift+Enter for a new line)" required></textarea>
    <button id="send" type="submit">Send</button>
  </form>
</main>
<noscript>This page needs JavaScript.</noscript>
</body>
</html>
`;
