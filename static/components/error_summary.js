// @ts-check
// Errors that concern no single field, shown at the top of a form.
import { markup } from "../markup.js";

/** @param {{ messages: string[] }} props */
export function ErrorSummary({ messages }) {
  if (!messages || !messages.length) return null;
  return markup`
    <div class="error-summary" role="alert">
      ${
    messages.length === 1
      ? markup`<p>${messages[0]}</p>`
      : markup`<ul>${messages.map((m) => markup`<li>${m}</li>`)}</ul>`
  }
    </div>
  `;
}
