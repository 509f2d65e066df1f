// Sign-in: paste a token (or follow the link `serve --demo` prints).
import { html } from '../html.js';
import { signIn } from '../session.js';

export function SignIn({ reason }) {
  const submit = (e) => {
    e.preventDefault();
    signIn(new FormData(e.target).get('token'));
    location.hash = '#/';
    location.reload();
  };
  return html`
    <main class="signin">
      <h1>Sign in to agentmon</h1>
      ${reason ? html`<p class="error" role="alert">${reason}</p>` : null}
      <form onSubmit=${submit}>
        <label for="token">Your token</label>
        <textarea id="token" name="token" rows="4" required placeholder="eyJ…"></textarea>
        <p class="hint">Ask your admin for a token, or mint one with <code>agentmon token --role MEMBER --org SLUG --sub YOU</code>.</p>
        <button type="submit">Sign in</button>
      </form>
    </main>`;
}
