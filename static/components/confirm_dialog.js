// @ts-check
// "Are you sure?" for actions that cannot be undone.
import { markup } from "../markup.js";
import { Modal } from "./modal.js";

/**
 * @param {{
 *   title: string, message: string, confirmLabel: string, onConfirm: () => void,
 *   onCancel: () => void, busy: boolean,
 * }} props
 */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel, busy }) {
  return markup`
    <${Modal} title=${title} onClose=${onCancel} class="narrow">
      <div class="modal-body"><p>${message}</p></div>
      <footer class="form-actions">
        <button type="button" class="danger solid" aria-disabled=${busy ? "true" : undefined}
          onClick=${() => busy || onConfirm()}>
          ${confirmLabel}
        </button>
        <button type="button" autofocus onClick=${onCancel}>Cancel</button>
      </footer>
    <//>
  `;
}
