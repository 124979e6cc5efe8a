// "Are you sure?" for actions that cannot be undone.
import { html } from "../html.js";
import { Modal } from "./modal.js";

export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel, busy }) {
  return html`
    <${Modal} title=${title} onClose=${onCancel} class="narrow">
      <p>${message}</p>
      <footer class="form-actions">
        <button type="button" class="danger solid" disabled=${busy} onClick=${onConfirm}>
          ${confirmLabel}
        </button>
        <button type="button" autofocus onClick=${onCancel}>Cancel</button>
      </footer>
      <//>
  `;
}
