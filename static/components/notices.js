// @ts-check
// Short-lived messages about what just happened ("… created", errors that belong to no field).
import { markup } from "../markup.js";

/** @typedef {{ id: number, text: string, kind: string }} Notice */

/** @param {{ items: Notice[], onDismiss: (id: number) => void }} props */
export function Notices({ items, onDismiss }) {
  return markup`
    <div class="notices" role="status" aria-live="polite">
      ${
    items.map((n) =>
      markup`
        <div key=${n.id} class=${`notice notice-${n.kind}`}>
          <span>${n.text}</span>
          <button type="button" class="icon" aria-label="Dismiss" onClick=${() => onDismiss(n.id)}>
            ✕
          </button>
        </div>
      `
    )
  }
    </div>
  `;
}
