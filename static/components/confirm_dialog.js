// "Are you sure?" for actions that cannot be undone.
import { markup } from "../markup.js";
import { Modal } from "./modal.js";

export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel, busy }) {
  return markup`
    <${Modal} title=${title} onClose=${onCancel} class="narrow">
      <div class="modal-body"><p>${message}</p></div>
      <footer class="form-actions">
        <button type="button" class="danger solid" disabled=${busy} onClick=${onConfirm}>
          ${confirmLabel}
        </button>
        <button type="button" autofocus onClick=${onCancel}>Cancel</button>
      </footer>
    <//>
  `;
}
