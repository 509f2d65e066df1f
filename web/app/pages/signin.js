// Sign-in: paste a token (or follow the link `serve --demo` prints).
import { useState } from 'preact/hooks';
import { html } from '../html.js';
import { signIn, validToken } from '../session.js';

export function SignIn({ reason }) {
  const [problem, setProblem] = useState(null);
  const submit = (e) => {
    e.preventDefault();
    const value = String(new FormData(e.target).get('token') ?? '');
    if (!validToken(value)) {
      setProblem('That is not a token: a token is three parts separated by dots (eyJ….eyJ….…). Paste the whole of it.');
      return;
    }
    signIn(value);
    location.hash = '#/';
    location.reload();
  };
  const message = problem ?? reason;
  return html`
    <main class="signin">
      <h1>Sign in to agentmon</h1>
      ${message ? html`<p class="error" role="alert">${message}</p>` : null}
      <form onSubmit=${submit}>
        <label for="token">Your token</label>
        <textarea id="token" name="token" rows="4" required placeholder="eyJ…" spellcheck="false" autocomplete="off"
          aria-describedby="token-hint"></textarea>
        <p class="hint" id="token-hint">Ask your admin for a token, or mint one with <code>agentmon token --role MEMBER --org SLUG --sub YOU</code>.</p>
        <button type="submit">Sign in</button>
      </form>
    </main>`;
}
