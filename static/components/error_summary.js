// Errors that concern no single field, shown at the top of a form.
import { html } from "../html.js";

export function ErrorSummary({ messages }) {
  if (!messages || !messages.length) return null;
  return html`
    <div class="error-summary" role="alert">
      ${messages.length === 1 ? html`<p>${messages[0]}</p>` : html`
        <ul>${messages.map((m) => html`<li>${m}</li>`)}</ul>
      `}
    </div>
  `;
}
